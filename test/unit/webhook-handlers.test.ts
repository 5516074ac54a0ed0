import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWebhookHandlers, hasSecret } from '../../bot/webhooks';
import { silentLogger } from '../../services/logger';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import type { Logger } from '../../services/logger';
import type { WatchService } from '../../services/watch/watch.service';
import { REPO_ROOT } from '../support/context';

const SECRET = 'webhook-secret-for-tests-0123456789';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const example = (file: string): unknown => JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/protocols', file), 'utf8'));

/** Records what the handlers asked of the engine and the store; two active runs to match against. */
function fakes(failing = false): { runs: RunStore; engine: RunEngine; calls: string[]; logger: Logger; warnings: Array<[string, Record<string, unknown> | undefined]> } {
  const calls: string[] = [];
  const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
  const logger = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push([msg, fields]), child: () => logger } as unknown as Logger;
  // r-3 has no external ids yet: an event without a run id must not match it.
  const active = [
    { id: 'r-1', ci: { devopsRunId: 11 }, training: { databricksRunId: 2001 } },
    { id: 'r-2', ci: { devopsRunId: 12 } },
    { id: 'r-3' },
  ] as unknown as RunRecord[];
  const runs = {
    listRuns: async (filter: unknown) => {
      calls.push(`listRuns ${JSON.stringify(filter)}`);
      return active;
    },
  } as unknown as RunStore;
  const engine = {
    advance: async (id: string) => {
      calls.push(`advance ${id}`);
      if (failing) throw new Error('store is down');
      return undefined;
    },
    relayFromWebhook: async (req: { approval: { id: string } }) => {
      calls.push(`relay ${req.approval.id}`);
      if (failing) throw new Error('store is down');
      return undefined;
    },
  } as unknown as RunEngine;
  return { runs, engine, calls, logger, warnings };
}

const dbxEvent = (runId: string, parent?: string): unknown => ({ event_type: 'jobs.on_start', workspace_id: '1', run: { run_id: runId, ...(parent ? { parent_run_id: parent } : {}) }, job: { job_id: '1' } });

describe('webhook authentication', () => {
  it.each([undefined, ''])('refuses every call with 503 while WEBHOOK_SECRET is %p, whatever credentials come, and touches nothing', async (secret) => {
    const f = fakes();
    const h = createWebhookHandlers({ secret, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    for (const headers of [{}, { authorization: basic('mlops', '') }, { 'x-webhook-secret': '' }, { authorization: basic('mlops', SECRET) }]) {
      expect(await h.azureDevOps(example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json'), headers)).toEqual({ status: 503, body: { error: 'webhooks are disabled: set WEBHOOK_SECRET' } });
      expect(await h.databricks(dbxEvent('2001'), headers)).toEqual({ status: 503, body: { error: 'webhooks are disabled: set WEBHOOK_SECRET' } });
    }
    expect(f.calls).toEqual([]);
  });

  it('refuses a missing or wrong secret with 401 before reading the body, and touches nothing', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    for (const headers of [{}, { authorization: basic('mlops', 'wrong') }, { 'x-webhook-secret': `${SECRET}x` }, { authorization: `Bearer ${SECRET}` }]) {
      expect(await h.azureDevOps('not even an object', headers)).toEqual({ status: 401, body: { error: 'missing or wrong webhook secret' } });
      expect(await h.databricks('not even an object', headers)).toEqual({ status: 401, body: { error: 'missing or wrong webhook secret' } });
    }
    expect(f.calls).toEqual([]);
  });

  it('takes the secret as the Basic password (any user name, any case of the scheme) or the X-Webhook-Secret header', () => {
    expect(hasSecret(SECRET, { authorization: basic('mlops', SECRET) })).toBe(true);
    expect(hasSecret(SECRET, { authorization: basic('', SECRET) })).toBe(true);
    expect(hasSecret(SECRET, { authorization: basic('anyone', SECRET).replace('Basic', 'basic') })).toBe(true);
    expect(hasSecret(SECRET, { 'x-webhook-secret': SECRET })).toBe(true);
    // A password that contains ':' is kept whole (only the first ':' separates the user).
    expect(hasSecret('a:b', { authorization: basic('u', 'a:b') })).toBe(true);
    expect(hasSecret(SECRET, { authorization: basic(SECRET, 'x') })).toBe(false);
    expect(hasSecret(SECRET, { authorization: `Bearer ${SECRET}` })).toBe(false);
    expect(hasSecret(SECRET, { authorization: SECRET })).toBe(false);
    expect(hasSecret(SECRET, { 'x-webhook-secret': [SECRET] })).toBe(false);
    expect(hasSecret(SECRET, { 'x-webhook-secret': SECRET.slice(0, -1) })).toBe(false);
    expect(hasSecret(SECRET, { 'x-webhook-secret': '' })).toBe(false);
    // Either way in is enough when the other one is wrong.
    expect(hasSecret(SECRET, { authorization: basic('u', 'wrong'), 'x-webhook-secret': SECRET })).toBe(true);
  });

  it('finds no credential where none was sent, whatever the configured secret', () => {
    // 16 characters, the shortest secret the configuration accepts.
    for (const secret of ['Stryker was here', 'x'.repeat(16), SECRET]) expect(hasSecret(secret, {})).toBe(false);
  });

  it('reads Basic only at the start of the header, not anywhere in it', () => {
    const secret = 'webhook-secret-0123456789';
    const encoded = Buffer.from(`:${secret}`).toString('base64');
    // Decoding stops at the padding, so a header that merely contains "basic " would yield the secret.
    expect(encoded.endsWith('=')).toBe(true);
    expect(hasSecret(secret, { authorization: `Token ${encoded} basic ` })).toBe(false);
    expect(hasSecret(secret, { authorization: `Basic ${encoded}` })).toBe(true);
  });
});

describe('webhook routing after authentication', () => {
  const ok = { authorization: basic('mlops', SECRET) };

  it('nudges exactly the active runs a Databricks notification names (job run or parent run)', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    expect(await h.databricks(dbxEvent('2001'), ok)).toEqual({ status: 202, body: { accepted: true, runs: ['r-1'] } });
    expect(await h.databricks(dbxEvent('9999', '2001'), ok)).toEqual({ status: 202, body: { accepted: true, runs: ['r-1'] } });
    expect(await h.databricks(dbxEvent('9999'), ok)).toEqual({ status: 202, body: { accepted: true, runs: [] } });
    expect(f.calls.filter((c) => c.startsWith('advance'))).toEqual(['advance r-1', 'advance r-1']);
    expect(f.calls.filter((c) => c.startsWith('listRuns'))).toEqual(Array(3).fill('listRuns {"active":true}'));
  });

  it('answers a malformed body with 400 and a reason, and nudges nothing', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    const r = await h.databricks({ event_type: 'jobs.on_start' }, ok);
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toMatch(/^not a Databricks job notification: /);
    const ado = await h.azureDevOps({ eventType: 42 }, ok);
    expect(ado.status).toBe(400);
    expect(String(ado.body.error)).not.toBe('undefined');
    expect(String(ado.body.error).length).toBeGreaterThan(0);
    expect(f.calls).toEqual([]);
  });

  it('nudges the run an Azure DevOps run-state event names, and ignores event types the bot does not use', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    // The documented sample names run 11.
    expect(await h.azureDevOps(example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json'), ok)).toEqual({ status: 202, body: { accepted: true, runs: ['r-1'] } });
    const other = { id: 'e-1', eventType: 'git.push', publisherId: 'tfs', resource: {} };
    expect(await h.azureDevOps(other, ok)).toEqual({ status: 202, body: { accepted: false, reason: 'event type not used by this bot' } });
    expect(f.calls).toEqual(['listRuns {"active":true}', 'advance r-1']);
  });

  it('nudges nothing for an approval event without a run id (the documented sample), not even runs without ids', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    expect(await h.azureDevOps(example('azure-devops/servicehook-ms.vss-pipelinechecks-events.approval-pending.json'), ok)).toEqual({ status: 202, body: { accepted: true, runs: [] } });
    expect(f.calls.filter((c) => c.startsWith('advance'))).toEqual([]);
  });

  it('logs a failed background step with the run or approval and the source, and still answers 202', async () => {
    const f = fakes(true);
    const event = example('azure-devops/servicehook-ms.vss-pipelinechecks-events.approval-pending.json') as { resource: Record<string, unknown> };
    const withRun = { ...event, resource: { ...event.resource, pipeline: { id: 2, name: 'mlops-cd' }, run: { id: 12, name: '20261126.1' } } };
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map([[2, 'fashion-cnn']]), runs: f.runs, engine: f.engine, logger: f.logger });
    expect((await h.databricks(dbxEvent('2001'), ok)).status).toBe(202);
    expect((await h.azureDevOps(example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json'), ok)).status).toBe(202);
    const relayed = await h.azureDevOps(withRun, ok);
    await new Promise((r) => setImmediate(r));
    expect(f.warnings.map(([m, fields]) => [m, fields?.runId ?? fields?.approvalId, fields?.source, (fields?.error as Error | undefined)?.message])).toEqual([
      ['advance after webhook failed', 'r-1', 'databricks', 'store is down'],
      ['advance after webhook failed', 'r-1', 'azure-devops', 'store is down'],
      ['relay after webhook failed', relayed.body.relay, undefined, 'store is down'],
    ]);
  });

  it('relays a pending environment approval of a configured CD pipeline, and only of one', async () => {
    const f = fakes();
    const event = example('azure-devops/servicehook-ms.vss-pipelinechecks-events.approval-pending.json') as { resource: Record<string, unknown> };
    const withRun = { ...event, resource: { ...event.resource, pipeline: { id: 2, name: 'mlops-cd' }, run: { id: 12, name: '20261126.1' } } };
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map([[2, 'fashion-cnn']]), runs: f.runs, engine: f.engine, logger: silentLogger });
    const r = await h.azureDevOps(withRun, ok);
    expect(r).toMatchObject({ status: 202, body: { accepted: true } });
    expect(typeof r.body.relay).toBe('string');
    expect(f.calls).toEqual([`relay ${String(r.body.relay)}`]);
    const h2 = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map([[3, 'other']]), runs: f.runs, engine: f.engine, logger: silentLogger });
    expect((await h2.azureDevOps(withRun, ok)).body.relay).toBeUndefined();
  });
});

describe('webhooks of runs the bot did not start, handed to the watch service', () => {
  const ok = { authorization: basic('mlops', SECRET) };
  type Hint = { jobId: number; jobName: string | undefined; failed: boolean };
  function watching(failing = false): { watch: Pick<WatchService, 'devopsRunFinished' | 'databricksRunFinished'>; seen: unknown[] } {
    const seen: unknown[] = [];
    return {
      seen,
      // What the handler does with the service's answer is nothing: it only hands over.
      watch: {
        devopsRunFinished: async (id: number) => {
          seen.push(['devops', id]);
          if (failing) throw new Error('watch store is down');
        },
        databricksRunFinished: async (id: number, hint: Hint) => {
          seen.push(['databricks', id, hint]);
          if (failing) throw new Error('watch store is down');
        },
      } as unknown as Pick<WatchService, 'devopsRunFinished' | 'databricksRunFinished'>,
    };
  }
  const runState = (state: string): unknown => {
    const e = example('azure-devops/servicehook-ms.vss-pipelines.run-state-changed-event.json') as { resource: { run: Record<string, unknown> } };
    return { ...e, resource: { ...e.resource, run: { ...e.resource.run, state, ...(state === 'completed' ? {} : { result: undefined }) } } };
  };
  const build = (status: string): unknown => {
    const e = example('azure-devops/servicehook-build.complete.json') as { resource: Record<string, unknown> };
    return { ...e, resource: { ...e.resource, status } };
  };
  const dbx = (eventType: string, run: Record<string, string>, jobId = '7'): unknown => ({ event_type: eventType, workspace_id: '1', run, job: { job_id: jobId, name: 'nightly-train' } });

  it('hands over an Azure DevOps run or build once it completed, not while it runs, and not a stage event', async () => {
    const f = fakes();
    const w = watching();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger, watch: w.watch });
    expect((await h.azureDevOps(runState('completed'), ok)).body.watch).toBe(11);
    expect((await h.azureDevOps(runState('inProgress'), ok)).body.watch).toBeUndefined();
    expect((await h.azureDevOps(build('completed'), ok)).body.watch).toBe(2);
    expect((await h.azureDevOps(build('inProgress'), ok)).body.watch).toBeUndefined();
    expect((await h.azureDevOps(example('azure-devops/servicehook-ms.vss-pipelines.stage-state-changed-event.json'), ok)).body.watch).toBeUndefined();
    expect(w.seen).toEqual([['devops', 11], ['devops', 2]]);
  });

  it('hands over a Databricks job run that ended (the parent of a task event), with its job and whether it failed; not a start, not a job without a numeric id', async () => {
    const f = fakes();
    const w = watching();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger, watch: w.watch });
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '501' }), ok)).body.watch).toBe(501);
    expect((await h.databricks(dbx('jobs.on_success', { run_id: '601', parent_run_id: '600' }), ok)).body.watch).toBe(600);
    expect((await h.databricks(dbx('jobs.on_start', { run_id: '701' }), ok)).body.watch).toBeUndefined();
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '801' }, 'job_id'), ok)).body.watch).toBeUndefined();
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '901' }, '12x'), ok)).body.watch).toBeUndefined();
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '902' }, 'x12'), ok)).body.watch).toBeUndefined();
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: 'run_id' }), ok)).body.watch).toBeUndefined();
    expect(w.seen).toEqual([
      ['databricks', 501, { jobId: 7, jobName: 'nightly-train', failed: true }],
      ['databricks', 600, { jobId: 7, jobName: 'nightly-train', failed: false }],
    ]);
  });

  it('hands nothing over when watching is off', async () => {
    const f = fakes();
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: silentLogger });
    expect((await h.azureDevOps(runState('completed'), ok)).body.watch).toBeUndefined();
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '501' }), ok)).body.watch).toBeUndefined();
  });

  it('logs a failed hand-over with the run id and the error, and still answers 202', async () => {
    const f = fakes();
    const w = watching(true);
    const h = createWebhookHandlers({ secret: SECRET, cdPipelines: new Map(), runs: f.runs, engine: f.engine, logger: f.logger, watch: w.watch });
    expect((await h.azureDevOps(runState('completed'), ok)).status).toBe(202);
    expect((await h.databricks(dbx('jobs.on_failure', { run_id: '501' }), ok)).status).toBe(202);
    await new Promise((r) => setImmediate(r));
    expect(f.warnings.filter(([m]) => m === 'watch after webhook failed').map(([, fields]) => [fields?.runId, (fields?.error as Error | undefined)?.message])).toEqual([
      [11, 'watch store is down'],
      [501, 'watch store is down'],
    ]);
  });
});
