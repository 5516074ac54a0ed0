import type { AciClient } from '../../services/aci/aci.client';
import type { Authorizer } from '../../services/auth/authorizer';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import type { ScheduleService } from '../../services/schedule/schedule.service';
import type { Store } from '../../services/store/store';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { MemberLookup } from './conversation-membership';
import type { RouteKit } from './dashboard-http';
import { registerDashboardApi } from './dashboard-routes';
import { registerDashboardStatic } from './dashboard-static';
import { EnvironmentHealth } from './environment-health';
import { registerModelsApi } from './models-routes';
import type { SsoValidator } from './sso-validator';
import { registerWatchApi } from './watch-routes';

export interface DashboardDeps {
  sso: SsoValidator | undefined;
  runs: RunStore;
  engine: RunEngine;
  auth: Authorizer;
  config: Pick<MlopsConfig, 'models' | 'subscriptions'>;
  /** The bot's ACI client, for the models page's health (undefined without Azure settings). */
  aci: AciClient | undefined;
  conversations: Pick<Store, 'listConversations' | 'getConversation'>;
  members: MemberLookup;
  schedules: ScheduleService | undefined;
  now: () => number;
}

/** The whole dashboard on the bot's server: the tab's static files and every API page, sharing the bot's store, engine and roles. */
export function registerDashboard(kit: RouteKit, deps: DashboardDeps): void {
  registerDashboardStatic(kit);
  registerDashboardApi(kit, deps);
  registerModelsApi(kit, { ...deps, health: new EnvironmentHealth({ aci: deps.aci, now: deps.now }) });
  registerWatchApi(kit, deps);
}
