import { createServer } from 'node:net';
import { newTrainRun } from '../../services/workflow/run-factory';
import { postSample } from '../../services/workflow/smoke-test';
import { SMOKE_WARMUP_MS, stepSmoke } from '../../services/workflow/smoke-steps';
import type { StepDeps } from '../../services/workflow/stage-steps';
import { stageOf, type RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';
import { PRODUCTION_ONLY } from '../support/environments';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const URI = 'http://fashion-cnn-prod.westeurope.azurecontainer.io:5001/score';
/** What fetch throws when no HTTP answer came back (here: nothing listens yet). */
const refused = (): Error => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.4:5001'), { code: 'ECONNREFUSED' }) });

/** A run whose deploy just ended: the smoke stage started at T0 (one environment, no previous version to roll back to). */
function deployedRun(): RunRecord {
  const config = sandboxConfig({}, PRODUCTION_ONLY);
  const m = config.mlops.models['fashion-cnn'];
  if (!m) throw new Error('no fashion-cnn');
  const r = newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-3', name: 'Isaiah Langer' }, conversationId: 'c' }, m, T0).run;
  for (const s of r.stages) {
    if (s.id === 'smoke') {
      Object.assign(s, { state: 'running', startedAt: new Date(T0).toISOString() });
      break;
    }
    if (s.state !== 'skipped') Object.assign(s, { state: 'succeeded', startedAt: new Date(T0).toISOString(), finishedAt: new Date(T0).toISOString() });
  }
  return { ...r, id: 'r-9', version: 5, status: 'running', registered: { version: '7' }, deploy: { containerGroup: 'fashion-cnn-prod', scoringUri: URI } };
}

function deps(now: number, answer: (url: string, sample: unknown, timeoutMs: number) => Promise<{ status: number; latencyMs: number; body: string }>): StepDeps {
  const config = sandboxConfig({}, PRODUCTION_ONLY);
  return { now: () => now, models: config.mlops.models, smokeTest: answer, aci: undefined, registry: undefined } as unknown as StepDeps;
}

describe('the smoke test of an endpoint that does not answer yet', () => {
  it('asks again on later passes while the scoring server starts, says so on the card once, and passes when it answers', async () => {
    const run = deployedRun();
    const first = await stepSmoke(run, deps(T0 + 5_000, () => Promise.reject(refused())));
    expect(first?.run.status).toBe('running');
    expect(stageOf(first!.run, 'smoke')).toMatchObject({ state: 'running', detail: `waiting for ${URI} to answer (connect ECONNREFUSED 10.0.0.4:5001)` });
    expect(first?.run.failure).toBeUndefined();
    // The same answer on the next pass changes nothing (no card update per pass).
    expect(await stepSmoke(first!.run, deps(T0 + 20_000, () => Promise.reject(refused())))).toBeUndefined();
    const ok = await stepSmoke(first!.run, deps(T0 + 35_000, async () => ({ status: 200, latencyMs: 40, body: '{"predictions":[[0.1,0.9]]}' })));
    expect(stageOf(ok!.run, 'smoke').state).toBe('succeeded');
    expect(ok?.run.smoke).toMatchObject({ ok: true, status: 200 });
  });

  it('knows fetch\'s own refusal as no answer (a real POST to a closed loopback port, whose error comes from another realm under jest)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const run = { ...deployedRun(), deploy: { containerGroup: 'fashion-cnn-prod', scoringUri: `http://127.0.0.1:${closed}/score` } };
    const t = await stepSmoke(run, deps(T0 + 5_000, (url, sample, ms) => postSample(url, sample, ms)));
    expect(t?.run.status).toBe('running');
    expect(stageOf(t!.run, 'smoke').detail).toBe(`waiting for http://127.0.0.1:${closed}/score to answer (connect ECONNREFUSED 127.0.0.1:${closed})`);
  });

  it(`fails the run once the endpoint has not answered for ${SMOKE_WARMUP_MS / 1000} s`, async () => {
    const t = await stepSmoke(deployedRun(), deps(T0 + SMOKE_WARMUP_MS, () => Promise.reject(refused())));
    expect(t?.run.status).toBe('failed');
    expect(t?.run.failure?.message).toBe('Smoke test failed: POST /score failed: connect ECONNREFUSED 10.0.0.4:5001. There is no previous version in production to roll back to.');
  });

  it('judges a timeout and any HTTP answer at once, even right after the deploy', async () => {
    const timeout = await stepSmoke(deployedRun(), deps(T0 + 1_000, () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))));
    expect(timeout?.run.status).toBe('failed');
    const http = await stepSmoke(deployedRun(), deps(T0 + 1_000, async () => ({ status: 502, latencyMs: 3, body: 'Bad Gateway' })));
    expect(http?.run.failure?.message).toMatch(/^Smoke test failed: POST \/score answered HTTP 502\./);
  });
});
