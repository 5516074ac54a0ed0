import type { Forbidden } from '../auth/authorizer';
import type { RunRecord } from './run.types';

/**
 * Why the engine did not do what was asked. `forbidden` is the authorization layer's answer (the
 * bot words it); `state` carries the engine's own sentence about the run (already decided,
 * expired, not retryable...).
 */
export type Refusal = Forbidden | { kind: 'no-run'; runId: string } | { kind: 'state'; message: string };

export type ActionResult = { ok: true; run: RunRecord; message: string } | { ok: false; refusal: Refusal; run?: RunRecord };

export function refused(refusal: Refusal, run?: RunRecord): ActionResult {
  return run ? { ok: false, refusal, run } : { ok: false, refusal };
}

export function stateRefusal(message: string, run?: RunRecord): ActionResult {
  return refused({ kind: 'state', message }, run);
}
