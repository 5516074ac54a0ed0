import { RunCardWriter } from '../../bot/run-card.writer';
import { ScheduleService } from '../../services/schedule/schedule.service';
import { WatchService } from '../../services/watch/watch.service';
import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handleCardAction, type CardActionDeps } from '../../bot/actions/card-action.handler';
import { createCommandRegistry } from '../../bot/commands';
import type { CommandContext, CommandReply } from '../../bot/commands/command-spec';
import { CARD_VERBS } from '../../cards/card-actions';
import { createServiceClients } from '../../services/clients';
import { loadConfig } from '../../services/config/config';
import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { createAuthorizer, createRunEngine } from '../../services/workflow/workflow';
import { REPO_ROOT } from '../support/context';

/**
 * Every command and card action × {trainer, approver, admin, nobody} × {this model, another
 * model}, run through the bot's own command registry and card handler against a real engine and
 * store, compared cell by cell with the role table in docs/configuration.md.
 */
type Who = 'trainer' | 'approver' | 'admin' | 'nobody';
const WHO: readonly Who[] = ['trainer', 'approver', 'admin', 'nobody'];
const PEOPLE: Record<Who | 'requester', { id: string; name: string; aadObjectId: string }> = {
  trainer: { id: 'u-trainer', name: 'Tara Trainer', aadObjectId: '00000000-0000-0000-0000-00000000000a' },
  approver: { id: 'u-approver', name: 'Abe Approver', aadObjectId: '00000000-0000-0000-0000-00000000000b' },
  admin: { id: 'u-admin', name: 'Ada Admin', aadObjectId: '00000000-0000-0000-0000-00000000000c' },
  nobody: { id: 'u-nobody', name: 'Ned Nobody', aadObjectId: '00000000-0000-0000-0000-00000000000d' },
  requester: { id: 'u-requester', name: 'Rey Requester', aadObjectId: '00000000-0000-0000-0000-00000000000e' },
};

function model(name: string, roles: string): string {
  return `
  ${name}:
    training: { gpu: false }
    registeredModel: main.mlops.${name.replace(/-/g, '_')}
    environments:
      - { name: staging, containerGroup: ${name}-staging, approval: none }
      - { name: production, containerGroup: ${name}-prod, approval: { required: 1, expiresAfter: 24h } }
    smokeTest: { sample: { data: [[1]] } }
    roles: ${roles}`;
}
// Roles are granted per model only: the global lists are empty, so "another model" shows what a role for one model is worth elsewhere.
const YAML = `models:${model('this-model', '{ trainers: [u-trainer, u-requester], approvers: [u-approver, u-requester], admins: [u-admin] }')}${model('other-model', '{ trainers: [u-requester], approvers: [u-requester] }')}
roles: { trainers: [], approvers: [], admins: [] }
`;

function roleTable(): Map<string, Record<Who, boolean>> {
  const md = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
  const body = md.split('<!-- role-table:start -->')[1]?.split('<!-- role-table:end -->')[0] ?? '';
  const rows = new Map<string, Record<Who, boolean>>();
  for (const line of body.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| card'))) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const key = (cells[0] ?? '').replace(/`/g, '');
    rows.set(key, { trainer: cells[1] === '✓', approver: cells[2] === '✓', admin: cells[3] === '✓', nobody: cells[4] === '✓' });
  }
  return rows;
}

interface World {
  store: SqliteStore;
  registry: ReturnType<typeof createCommandRegistry>;
  ctx: (who: Who) => CommandContext;
  card: (who: Who, verb: string, data: Record<string, unknown>) => ReturnType<typeof handleCardAction>;
  ids: { waiting: string; running: string; failed: string; promotable: string };
}

async function world(m: string): Promise<World> {
  const config = loadConfig({ MLOPS_SANDBOX: '1', STATE_STORE: 'sqlite::memory:' }, () => YAML, REPO_ROOT);
  const store = new SqliteStore(':memory:');
  const clients = createServiceClients(config, silentLogger);
  const auth = createAuthorizer(config, clients, silentLogger);
  const engine = createRunEngine(config, clients, store.runs, silentLogger, { auth });
  const mc = config.mlops.models[m]!;
  const seed = async (change: (r: Omit<RunRecord, 'id' | 'version'>) => void): Promise<string> => {
    const fresh = newTrainRun({ model: m, params: {}, requester: PEOPLE.requester, conversationId: 'conv-1' }, mc, Date.now());
    change(fresh.run);
    return (await store.runs.createRun(fresh.run)).id;
  };
  const done = (version: string, env = 'production') => (r: Omit<RunRecord, 'id' | 'version'>): void => {
    r.target = env;
    r.status = 'succeeded';
    r.stages.forEach((s) => (s.state = 'succeeded'));
    (r.registered ??= {}).version = version;
  };
  await seed(done('1'));
  await seed(done('2'));
  const promotable = await seed(done('3', 'staging'));
  const waiting = await seed((r) => {
    r.target = 'production';
    r.status = 'waiting_approval';
    ['ci', 'training', 'registered'].forEach((s) => (r.stages.find((x) => x.id === s)!.state = 'succeeded'));
    r.stages.find((x) => x.id === 'approval')!.state = 'waiting';
    (r.registered ??= {}).version = '3';
    r.approval = { required: 1, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), decisions: [], state: 'pending' };
  });
  const running = await seed(() => undefined);
  const failed = await seed((r) => {
    r.status = 'failed';
  });
  const registry = createCommandRegistry();
  const schedules = new ScheduleService({ store: store.schedules, runs: store.runs, engine, models: Object.keys(config.mlops.models), now: Date.now, logger: silentLogger, onStarted: () => undefined });
  await schedules.set(m, '0 3 * * *', 'UTC', PEOPLE.requester, 'conv-1');
  const cards = new RunCardWriter({ runs: store.runs, models: config.mlops.models, now: Date.now });
  const workflow = { engine, runs: store.runs, now: Date.now, cards, schedules };
  // A failed pipeline run of the model's CI, as the watcher reported it; Retry queues through this client.
  await store.watch.insertReport({ key: 'azure-devops:41', source: 'azure-devops', runId: 41, targetId: 1, targetName: 'ci', runName: '1', outcome: 'failed', result: 'failed', failedStep: undefined, error: undefined, logLines: [], url: undefined, triggeredBy: undefined, reason: 'manual', branch: 'refs/heads/main', parameters: {}, finishedAt: undefined, model: m, retries: [] }, new Date().toISOString());
  const devops = { runPipeline: async () => ({ id: 42, webUrl: undefined }) } as unknown as AzureDevOpsClient;
  const watch = new WatchService({ store: store.watch, runs: store.runs, devops, databricks: undefined, config: config.mlops, auth, now: Date.now, logger: silentLogger, onChange: () => undefined });
  const deps: CardActionDeps = { config, auth, engine, runs: store.runs, approvers: { approversOf: async () => [] }, cards, now: Date.now, watch, schedules };
  return {
    store,
    registry,
    ids: { waiting, running, failed, promotable },
    ctx: (who) => ({ user: PEOPLE[who], conversation: { id: 'conv-1', type: 'groupChat' }, config, auth, registry, workflow }),
    card: (who, verb, data) => handleCardAction(deps, verb, data, PEOPLE[who], 'conv-1'),
  };
}

/** What each row does, for the model `m`, and whether it took effect. */
const ROWS: Record<string, (w: World, who: Who, m: string) => Promise<string>> = {
  '/train': (w, who, m) => command(w, who, `/train ${m} --branch main`),
  '/deploy': (w, who, m) => command(w, who, `/deploy ${m} 3`),
  '/rollback': (w, who, m) => command(w, who, `/rollback ${m}`),
  '/cancel': (w, who) => command(w, who, `/cancel ${w.ids.running}`),
  '/status': (w, who) => command(w, who, `/status ${w.ids.waiting}`),
  '/runs': (w, who) => command(w, who, '/runs'),
  '/approvals': (w, who) => command(w, who, '/approvals'),
  '/logs': (w, who) => command(w, who, `/logs ${w.ids.failed}`),
  '/audit': (w, who) => command(w, who, `/audit ${w.ids.waiting}`),
  '/subscribe': (w, who, m) => command(w, who, `/subscribe ${m}`),
  '/unsubscribe': (w, who) => command(w, who, '/unsubscribe'),
  '/help': (w, who) => command(w, who, '/help train'),
  '/whoami': (w, who) => command(w, who, '/whoami'),
  'card approve': (w, who) => card(w, who, 'approve', { runId: w.ids.waiting, approvalId: w.ids.waiting, cardVersion: 1 }),
  'card reject': (w, who) => card(w, who, 'reject', { runId: w.ids.waiting, approvalId: w.ids.waiting, cardVersion: 1, comment: 'no' }),
  'card cancelRun': (w, who) => card(w, who, 'cancelRun', { runId: w.ids.running, cardVersion: 1 }),
  'card retryRun': (w, who) => card(w, who, 'retryRun', { runId: w.ids.failed, cardVersion: 1 }),
  'card submitTrain': (w, who, m) => card(w, who, 'submitTrain', { cardVersion: 1, model: m, branch: 'main' }),
  'card chooseTrainModel': (w, who, m) => card(w, who, 'chooseTrainModel', { cardVersion: 1, model: m }),
  'card promoteRun': (w, who) => card(w, who, 'promoteRun', { runId: w.ids.promotable, cardVersion: 1 }),
  'card refreshRun': (w, who) => card(w, who, 'refreshRun', { runId: w.ids.waiting, cardVersion: 1 }),
  'card refreshApproval': (w, who) => card(w, who, 'refreshApproval', { runId: w.ids.waiting, approvalId: w.ids.waiting, cardVersion: 1 }),
  '/schedule': (w, who, m) => command(w, who, `/schedule ${m} "0 2 * * *" --tz Europe/Paris`),
  '/unschedule': (w, who, m) => command(w, who, `/unschedule ${m}`),
  'card retryExternal': (w, who) => card(w, who, 'retryExternal', { watchKey: 'azure-devops:41', cardVersion: 1 }),
  'card rollbackTo': (w, who, m) => card(w, who, 'rollbackTo', { model: m, version: '1', cardVersion: 1 }),
};

async function command(w: World, who: Who, text: string): Promise<string> {
  const reply: CommandReply = await w.registry.execute(text, w.ctx(who));
  return reply.kind === 'text' ? reply.text : JSON.stringify(reply.card);
}

async function card(w: World, who: Who, verb: string, data: Record<string, unknown>): Promise<string> {
  const out = await w.card(who, verb, data);
  return out.kind === 'card' ? JSON.stringify(out.card) : out.text;
}

/** Everything a refused action must leave alone: the runs, their decisions, and the audit's refusals. */
async function snapshot(store: SqliteStore): Promise<string> {
  const runs = await store.runs.listRuns({});
  // Schedules and watched-run retries are side effects too.
  const others = [store.schedules.list().map((s) => [s.model, s.cron, s.timeZone]), (await store.watch.listReports()).map((r) => r.retries.length)];
  return JSON.stringify([runs.map((r) => [r.id, r.status, r.approval?.decisions.length ?? 0, r.kind === 'train' ? stageOf(r, 'approval').state : '']), others]);
}

describe('the role table of docs/configuration.md', () => {
  const table = roleTable();

  it('lists every command and every card action, and only those', () => {
    const commands = createCommandRegistry().specs().map((s) => `/${s.id}`);
    const cards = CARD_VERBS.map((v) => `card ${v}`);
    expect([...table.keys()].sort()).toEqual([...commands, ...cards].sort());
    expect(Object.keys(ROWS).sort()).toEqual([...table.keys()].sort());
  });

  const cells = [...table.entries()].flatMap(([row, allowed]) => WHO.flatMap((who) => (['this-model', 'other-model'] as const).map((m) => ({ row, who, m, expected: m === 'this-model' ? allowed[who] : allowed.nobody }))));
  it.each(cells)('$row by $who on $m: allowed=$expected', async ({ row, who, m, expected }) => {
    const w = await world(m);
    try {
      const before = await snapshot(w.store);
      const reply = await ROWS[row]!(w, who, m);
      const refusedByRole = /You are not allowed to /.test(reply);
      const refusals = (await w.store.runs.listAudit({ limit: 100 })).filter((a) => a.outcome === 'refused' && (a.detail.reason === 'forbidden' || a.detail.reason === 'not-approver'));
      const after = await snapshot(w.store);
      if (expected) {
        expect({ reply, refusedByRole }).toMatchObject({ refusedByRole: false });
        expect(refusals).toEqual([]);
        // An action with side effects took them (read-only rows leave the runs as they were).
        if (table.get(row)!.nobody === false) expect(after).not.toBe(before);
      } else {
        expect({ reply, refusedByRole }).toMatchObject({ refusedByRole: true });
        expect(refusals).toHaveLength(1);
        expect(after).toBe(before);
      }
    } finally {
      await new Promise((r) => setImmediate(r));
      await w.store.close();
    }
  });

  it('does not count an admin as an approver of their own run', async () => {
    const w = await world('this-model');
    try {
      const engine = w.ctx('admin').workflow.engine;
      const mine = (await w.store.runs.getRun(w.ids.waiting))!;
      const own = await w.store.runs.createRun({ ...mine, requester: PEOPLE.admin });
      const result = await engine.decide(own.id, PEOPLE.admin, 'approved', '');
      expect(result).toMatchObject({ ok: false, refusal: { kind: 'state', message: expect.stringContaining('your own approval does not count') as string } });
      expect((await w.store.runs.getRun(own.id))?.approval?.decisions).toEqual([]);
    } finally {
      await w.store.close();
    }
  });
});
