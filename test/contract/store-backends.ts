import { randomBytes } from 'node:crypto';
import { startAzuriteTable, type AzuriteTable } from '../../sandbox/azurite/azurite-table';
import { AzureTableStore } from '../../services/store/azure-table/azure-table.store';
import { SqliteStore } from '../../services/store/sqlite.store';
import type { Store } from '../../services/store/store';
import type { ScheduleStore } from '../../services/schedule/schedule.store';
import type { WatchStore } from '../../services/watch/watch.store';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { reportKey, type ExternalRunReport } from '../../services/watch/watch.types';

export type SharedStore = Store & {
  runs: RunStore;
  markReminder(runId: string, kind: 'reminder' | 'expired', at: string): boolean | Promise<boolean>;
  unmarkReminder(runId: string, kind: 'reminder' | 'expired'): void | Promise<void>;
  schedules: ScheduleStore;
  watch: WatchStore;
};

/** A backend of the contract: opens a fresh, empty store per test. */
export interface Backend {
  name: string;
  start(): Promise<void>;
  fresh(): Promise<SharedStore>;
  stop(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const open: SqliteStore[] = [];
  return {
    name: 'SQLite',
    start: async () => undefined,
    fresh: async () => {
      const s = new SqliteStore(':memory:');
      open.push(s);
      return s;
    },
    stop: async () => {
      for (const s of open) await s.close();
    },
  };
}

/** Azure Tables on Azurite (in memory, its own port); each test gets its own table. */
export function azureTableBackend(): Backend & { azurite(): AzuriteTable } {
  let az: AzuriteTable | undefined;
  return {
    name: 'Azure Tables (Azurite)',
    azurite: () => {
      if (!az) throw new Error('Azurite is not started');
      return az;
    },
    start: async () => {
      az = await startAzuriteTable();
    },
    fresh: async () => {
      if (!az) throw new Error('Azurite is not started');
      return AzureTableStore.open({ target: { connectionString: az.connectionString, table: `t${randomBytes(6).toString('hex')}` } });
    },
    stop: async () => {
      await az?.stop();
    },
  };
}

/**
 * A run as the store sees it: opaque JSON except the columns it indexes (model, status, requester,
 * times, the DevOps approval id). Cast, so the test does not depend on the rest of RunRecord's shape.
 */
export function runShape(over: { model?: string; target?: string; status?: string; requester?: { id: string; name: string; aadObjectId?: string }; approvalId?: string; extra?: unknown } = {}): Omit<RunRecord, 'id' | 'version'> {
  const at = new Date(Date.UTC(2026, 10, 1)).toISOString();
  return {
    model: over.model ?? 'fashion-cnn',
    target: over.target ?? 'staging',
    kind: 'train',
    params: { epochs: 3 },
    branch: 'main',
    requester: over.requester ?? { id: 'user-1', name: 'Megan Bowen', aadObjectId: 'AAAA-1' },
    conversationId: 'conv-1',
    status: over.status ?? 'running',
    stages: [],
    metrics: [],
    ...(over.approvalId ? { approval: { required: 1, expiresAt: at, decisions: [], state: 'pending', devopsApprovalId: over.approvalId } } : {}),
    ...(over.extra !== undefined ? { blob: over.extra } : {}),
    createdAt: at,
    updatedAt: at,
  } as unknown as Omit<RunRecord, 'id' | 'version'>;
}

/** A failed Azure DevOps run as the watch service reports it (200 log lines: near an entity's size), with `over` on top. */
export const reportShape = (runId: number, over: Partial<ExternalRunReport> = {}): ExternalRunReport => ({
  key: reportKey('azure-devops', runId), source: 'azure-devops', runId, targetId: 1, targetName: 'mlops-ci', runName: `2026.${runId}`, outcome: 'failed', result: 'failed',
  failedStep: 'Test › Unit tests › Run unit tests', error: "Bash exited with code '1'.", logLines: Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(80)}`), url: `https://dev.azure.com/x/_build/results?buildId=${runId}`,
  triggeredBy: { name: 'Megan Bowen', upn: 'meganb@contoso.com', id: undefined }, reason: 'manual', branch: 'refs/heads/main', parameters: { modelName: 'fashion-cnn' }, finishedAt: '2026-11-29T10:00:00.000Z', model: 'fashion-cnn', retries: [],
  ...over,
});
