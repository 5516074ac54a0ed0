import type { AciClient } from '../../services/aci/aci.client';
import type { ContainerGroupState } from '../../services/aci/aci.types';
import type { EnvironmentConfig } from '../../services/config/environment.schema';
import { ServiceError } from '../../services/http/errors';
import type { RunRecord } from '../../services/workflow/run.types';
import type { HealthDto } from './dashboard-dto';

/** How long one reading of a container group serves every dashboard that asks (ARM reads are rate-limited per subscription). */
export const HEALTH_TTL_MS = 30_000;
/** One reading may take this long, retries included; then the health is "unknown". */
const READ_BUDGET_MS = 8_000;

export interface EnvironmentHealthDeps {
  /** The bot's own ACI client (services/clients.ts); undefined without Azure settings. */
  aci: AciClient | undefined;
  now: () => number;
}

/**
 * Health of what is live in one environment, from what the bot already has: the container group's
 * state read through the same ACI client the deploy uses (GET of the group, as the deploy stage
 * reads it), and the smoke test of the run that made the version live. No new call path: the bot
 * never POSTs to a scoring URI outside a run's smoke stage. docs/dashboard.md says what each
 * state means.
 */
export class EnvironmentHealth {
  /** One entry per model and environment (bounded by the configuration), for the run live there when it was read. */
  private readonly seen = new Map<string, { at: number; runId: string; health: HealthDto }>();

  constructor(private readonly deps: EnvironmentHealthDeps) {}

  async of(model: string, env: EnvironmentConfig, live: RunRecord | undefined): Promise<HealthDto> {
    if (!live) return { state: 'not-deployed', summary: `Nothing has been deployed to ${env.name} yet.` };
    const key = `${model}\n${env.name}`;
    const hit = this.seen.get(key);
    const now = this.deps.now();
    if (hit && hit.runId === live.id && now - hit.at < HEALTH_TTL_MS) return hit.health;
    const health = await this.read(env, live, now);
    this.seen.set(key, { at: now, runId: live.id, health });
    return health;
  }

  private async read(env: EnvironmentConfig, live: RunRecord, now: number): Promise<HealthDto> {
    const smoke = smokeWords(live);
    const checkedAt = new Date(now).toISOString();
    if (!this.deps.aci) return { state: 'unknown', summary: `The container group cannot be read here (no Azure settings). ${smoke}` };
    let group: ContainerGroupState;
    try {
      group = await this.deps.aci.inResourceGroup(env.resourceGroup).get(env.containerGroup, { abortSignal: AbortSignal.timeout(READ_BUDGET_MS) });
    } catch (e) {
      if (e instanceof ServiceError && e.status === 404) return { state: 'unhealthy', summary: `Container group ${env.containerGroup} does not exist any more. ${smoke}`, checkedAt };
      const why = e instanceof ServiceError ? `ACI answered ${e.status ?? 'no status'}${e.code ? ` (${e.code})` : ''}` : 'the request did not complete';
      return { state: 'unknown', summary: `Could not read container group ${env.containerGroup}: ${why}. ${smoke}` };
    }
    const version = live.registered?.version;
    const running = group.tags['mlops-version'];
    if (group.status === 'Provisioning') return { state: 'unknown', summary: `Container group ${env.containerGroup} is being provisioned (${group.provisioningState}). ${smoke}`, checkedAt };
    if (group.status !== 'Running') return { state: 'unhealthy', summary: `Container group ${env.containerGroup} is ${group.status.toLowerCase()}${group.instanceState ? ` (${group.instanceState})` : ''}. ${smoke}`, checkedAt };
    if (running && version && running !== version) {
      return { state: 'unknown', summary: `Container group ${env.containerGroup} is running, but with version ${running}, not the live version ${version} (a deploy in progress, or a change made outside the bot). ${smoke}`, checkedAt };
    }
    return { state: 'healthy', summary: `Container group ${env.containerGroup} is running${version ? ` version ${version}` : ''}. ${smoke}`, checkedAt };
  }
}

function smokeWords(live: RunRecord): string {
  const s = live.smoke;
  if (!s) return `Run ${live.id} recorded no smoke test.`;
  return s.ok ? `The smoke test of ${live.id} passed (${s.detail}).` : `The smoke test of ${live.id} failed: ${s.detail}.`;
}
