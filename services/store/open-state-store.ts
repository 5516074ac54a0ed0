import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/config';
import type { Logger } from '../logger';
import type { RunStore } from '../workflow/run-store';
import type { Sender } from '../workflow/send-claim';
import type { AzureTableStore } from './azure-table/azure-table.store';
import { leaseLeadership, soleInstance, type Leadership } from './leadership';
import { SqliteStore } from './sqlite.store';
import type { Store } from './store';
import type { ScheduleStore } from '../schedule/schedule.store';
import type { WatchStore } from '../watch/watch.store';

export interface StateStores {
  /** Runs, outbox, audit, subscriptions and conversation references: shared by every instance with azure-table. */
  shared: Store & { runs: RunStore };
  /** The SQLite file: everything with STATE_STORE=sqlite; with azure-table, unused by the shared state (kept for the process's own needs). */
  local: SqliteStore;
  /** Who runs the tracker, the dispatcher, reminders, watching and schedules. */
  leadership: Leadership;
  /** With azure-table: this instance as the maker of the calls two instances must not make at once (workflow/send-claim); none with SQLite's one instance. */
  sender?: Sender;
  /** Retraining schedules: shared with azure-table. */
  schedules: ScheduleStore;
  /** External-run watch reports: shared with azure-table. */
  watch: WatchStore;
  /** Reminders already sent: shared with azure-table. */
  marks: Pick<SqliteStore, 'markReminder' | 'unmarkReminder'> | Pick<AzureTableStore, 'markReminder' | 'unmarkReminder'>;
}

/** Opens the store STATE_STORE names (the composition root's only store decision). */
export async function openStateStores(config: Readonly<AppConfig>, credential: TokenCredential, logger: Logger): Promise<StateStores> {
  const s = config.stateStore;
  const local = new SqliteStore(s.path);
  if (s.kind === 'sqlite') return { shared: local, local, leadership: soleInstance, marks: local, schedules: local.schedules, watch: local.watch };
  // Loaded only for azure-table: @azure/data-tables and the table code are not needed with SQLite (issue 13, cold start).
  const [{ AzureTableStore }, { TableLease }] = await Promise.all([import('./azure-table/azure-table.store'), import('./azure-table/table-lease')]);
  const shared = await AzureTableStore.open({
    target: { table: s.table, ...(s.connectionString ? { connectionString: s.connectionString } : { endpoint: s.endpoint ?? '' }) },
    ...(s.connectionString ? {} : { credential }),
  });
  // The holder name says which instance leads (an App Service instance has its own host name); the rest keeps two processes on one host apart.
  const holder = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const lease = new TableLease(shared.table, 'leader', holder, s.leaseTtlMs);
  return { shared, local, leadership: leaseLeadership(lease, logger.child({ component: 'lease' })), sender: { id: holder, claimTtlMs: s.leaseTtlMs }, marks: shared, schedules: shared.schedules, watch: shared.watch };
}
