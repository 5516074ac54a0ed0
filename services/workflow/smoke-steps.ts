import { ServiceError } from '../http/errors';
import { scoringContainerSpec } from './scoring-container';
import { stageOf, type RunRecord } from './run.types';
import { advanceTo, errorText, type StepDeps } from './stage-steps';
import { environmentOf } from './environments';
import { begin, fail, finishStage, iso, touch, type Transition } from './transitions';
import { claimSend, sendDone, takeSendTurn } from './send-claim';
import { forgetLive } from './training-metrics';

/**
 * The smoke test, and the rollback when it fails. The rollback is persisted steps like the
 * deploy — intent, PUT, then the group's state read on later passes — so it never holds the run
 * (or the tracker) while ACI works, and a restart resumes it instead of losing it.
 */
/** How long after the smoke stage starts a scoring endpoint that does not answer at all is asked again (docs/scoring.md). */
export const SMOKE_WARMUP_MS = 120_000;

/**
 * fetch's own failure (a TypeError with the socket error as its cause): no HTTP answer came back.
 * A timeout (TimeoutError) is not one. By name, not instanceof: fetch's errors come from Node's
 * internal realm, which a sandboxed context (jest's, a vm) does not share.
 */
function isNoAnswer(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'TypeError';
}

/** fetch says only "fetch failed"; the socket's own words (refused, reset, not found) are in its cause. */
function callError(e: unknown): string {
  const cause = isNoAnswer(e) ? (e as { cause?: { message?: unknown } }).cause : undefined;
  return typeof cause?.message === 'string' && cause.message !== '' ? cause.message : errorText(e);
}

export async function stepSmoke(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  if (run.rollback) return stepRollback(run, deps);
  const now = deps.now();
  const t = begin(run);
  const m = deps.models[run.model];
  if (!m || !run.deploy?.scoringUri) return undefined;
  const env = environmentOf(run, m);
  const aci = deps.aci?.inResourceGroup(env.resourceGroup);
  let result: { status: number; latencyMs: number; body: string } | undefined;
  let problem: string | undefined;
  try {
    result = await deps.smokeTest(run.deploy.scoringUri, env.smokeTest.sample, Math.max(5_000, env.smokeTest.maxLatencyMs * 3));
    if (result.status < 200 || result.status >= 300) problem = `POST /score answered HTTP ${result.status}`;
    else if (result.latencyMs > env.smokeTest.maxLatencyMs) problem = `POST /score took ${result.latencyMs} ms (limit ${env.smokeTest.maxLatencyMs} ms)`;
    else if (!looksLikePrediction(result.body)) problem = 'POST /score answered something that is not a prediction';
  } catch (e) {
    // No answer at all (refused, reset, a name not resolving yet) right after the deploy: the
    // scoring server may still be loading the model after ACI reports the container running, or a
    // kept-alive connection was closed under the request. Asked again on the next passes for a
    // while; a timeout (an answer too slow) and any HTTP answer are judged at once.
    const since = Date.parse(stageOf(run, 'smoke').startedAt ?? iso(now));
    if (isNoAnswer(e) && now - since < SMOKE_WARMUP_MS) {
      const waiting = `waiting for ${run.deploy.scoringUri} to answer (${callError(e)})`;
      if (stageOf(run, 'smoke').detail === waiting) return undefined;
      stageOf(t.run, 'smoke').detail = waiting;
      touch(t, now);
      return t;
    }
    problem = `POST /score failed: ${callError(e)}`;
  }
  t.run.smoke = { status: result?.status ?? 0, latencyMs: result?.latencyMs ?? 0, ok: !problem, detail: problem ?? `HTTP ${result?.status ?? 0} in ${result?.latencyMs ?? 0} ms` };
  if (!problem) {
    finishStage(t, 'smoke', 'succeeded', now, t.run.smoke.detail);
    if (deps.registry && run.registered?.version) {
      await deps.registry.models(m.registry).promote(m.registeredModel, run.registered.version, run.target);
      forgetLive(deps, m, run.target);
    }
    advanceTo(t, 'smoke', now);
    t.effects.outbox.push({ kind: 'notice', payload: `Run ${run.id}: ${run.model} version ${run.registered?.version ?? '?'} is live at ${run.deploy.scoringUri} (${env.name})` });
    touch(t, now);
    return t;
  }
  const logs = aci ? (await aci.getLogs(env.containerGroup, { tail: 50 }).catch(() => '')).split('\n').filter(Boolean) : [];
  const prev = run.registered?.liveVersion;
  if (!prev || prev === run.registered?.version || !deps.registry || !aci) {
    fail(t, 'smoke', `Smoke test failed: ${problem}. There is no previous version in ${env.name} to roll back to.`, logs, now);
    touch(t, now);
    return t;
  }
  let image: string | undefined;
  try {
    image = (await deps.registry.models(m.registry).getVersion(m.registeredModel, prev)).scoringImage;
  } catch (e) {
    if (e instanceof ServiceError && e.retryable) throw e;
    fail(t, 'smoke', `Smoke test failed: ${problem}. Rollback to version ${prev} failed too: ${errorText(e)}.`, logs, now);
    touch(t, now);
    return t;
  }
  if (!image) {
    fail(t, 'smoke', `Smoke test failed: ${problem}. Rollback to version ${prev} failed too: it has no scoring_image tag.`, logs, now);
    touch(t, now);
    return t;
  }
  // The intent first; the PUT follows at once (t.next), and again after a restart if it was lost.
  t.run.rollback = { toVersion: prev, image, requestedAt: iso(now), problem, logTail: logs };
  claimSend(t, 'rollback', deps.sender, now);
  stageOf(t.run, 'smoke').detail = `${problem}; rolling back to version ${prev}`;
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'aci.rollback', outcome: 'ok', detail: { toVersion: prev, image, phase: 'requested' } });
  touch(t, now);
  t.next = 'now';
  return t;
}

async function stepRollback(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  const rb = run.rollback;
  const m = deps.models[run.model];
  if (!rb || !m || !deps.aci) return undefined;
  const env = environmentOf(run, m);
  const aci = deps.aci.inResourceGroup(env.resourceGroup);
  const now = deps.now();
  const t = begin(run);
  const failed = (why: string): Transition => {
    fail(t, 'smoke', `Smoke test failed: ${rb.problem}. Rollback to version ${rb.toVersion} failed too: ${why}.`, rb.logTail, now);
    touch(t, now);
    return t;
  };
  if (!rb.sentAt) {
    const turn = takeSendTurn(t, run, 'rollback', deps.sender, now);
    if (turn !== 'send') return turn === 'claimed' ? t : undefined;
    try {
      // Sends the PUT (idempotent in ARM) and returns once ARM accepted it; the state is read next.
      await aci.beginCreateOrUpdate(scoringContainerSpec(run, m, env, rb.image, rb.toVersion, deps.scoring));
    } catch (e) {
      if (e instanceof ServiceError && e.retryable) throw e;
      return failed(errorText(e));
    }
    t.run.rollback = { ...rb, sentAt: iso(now) };
    sendDone(t);
    t.next = 'now';
    return t;
  }
  const state = await aci.get(env.containerGroup);
  if (state.provisioningState === 'Failed' || state.status === 'Failed') return failed(`the container group ${state.name} is ${state.status.toLowerCase()}`);
  if (state.provisioningState !== 'Succeeded' || state.status !== 'Running') return undefined;
  // The card must say the truth about production: only now is the previous version running again.
  t.run.rolledBackTo = rb.toVersion;
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'aci.rollback', outcome: 'ok', detail: { toVersion: rb.toVersion, image: rb.image, phase: 'running' } });
  fail(t, 'smoke', `Smoke test failed: ${rb.problem}. Rolled back to version ${rb.toVersion}.`, rb.logTail, now);
  touch(t, now);
  return t;
}

function looksLikePrediction(body: string): boolean {
  try {
    const v = JSON.parse(body) as unknown;
    if (Array.isArray(v)) return v.length > 0;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return ['predictions', 'prediction', 'outputs', 'result'].some((k) => k in o && !(Array.isArray(o[k]) && (o[k] as unknown[]).length === 0));
    }
    return false;
  } catch {
    return false;
  }
}
