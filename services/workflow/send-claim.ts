import type { RunRecord, SendClaim, SendStep } from './run.types';
import { iso, type Transition } from './transitions';

/**
 * Who makes a run's writes to Azure that must not be made twice at once: queuing the CI build
 * (a POST: two calls queue two builds), the container group PUT of a deploy or a rollback (ACI
 * refuses a second PUT while the group is still creating: 409 ContainerGroupTransitioning), and
 * sending a Teams decision to Azure DevOps.
 *
 * With one instance, the engine's per-run lock already lets one step run at a time. With a shared
 * store, a run can be advanced by two instances at once: the one where the user clicked or typed
 * (it takes the next step at once) and the leader's polling pass. Transitions are version-checked,
 * but the call to Azure comes before the save. So the instance that saved the intent of the call
 * (the run's creation for CI, the deploy or rollback intent, the decision) names itself in the
 * run (`sending`), and only it makes the call. Another instance waits, and takes the claim over
 * (a version-checked save of its own name first) once the claim is older than `claimTtlMs`, the
 * term after which an instance that stopped renewing its lease counts as gone.
 */
export interface Sender {
  /** This instance: the lease holder's name (host/pid/random). */
  readonly id: string;
  /** After this long another instance's claim counts as left by a gone instance: the lease term. */
  readonly claimTtlMs: number;
}

/**
 * What this instance does about `step`'s call: `send` (it holds the claim, or it is the only
 * instance: `sender` undefined, SQLite), `wait` (another instance holds a fresh claim and makes
 * the call), or `claim` (nobody holds a claim for this step, or its holder is presumed gone: save
 * a claim first, then send).
 */
function sendTurn(run: RunRecord, step: SendStep, sender: Sender | undefined, now: number): 'send' | 'wait' | 'claim' {
  if (!sender) return 'send';
  const c = run.sending;
  if (c?.step !== step) return 'claim';
  if (c.by === sender.id) return 'send';
  return now - Date.parse(c.at) < sender.claimTtlMs ? 'wait' : 'claim';
}

/**
 * A step's turn before its call, inside transition t of `run`: `send` (make the call now), `wait`
 * (the step returns nothing: another instance makes it), or `claimed` (t now holds this instance's
 * claim and asks for the next step at once: the step returns t, and sends on that next step).
 */
export function takeSendTurn(t: Transition, run: RunRecord, step: SendStep, sender: Sender | undefined, now: number): 'send' | 'wait' | 'claimed' {
  const turn = sendTurn(run, step, sender, now);
  if (turn !== 'claim') return turn;
  // Nobody holds a fresh claim (its holder is presumed gone, or the run predates claims): claim, then send.
  claimSend(t, step, sender, now);
  t.next = 'now';
  return 'claimed';
}

/** Names this instance as the one to make `step`'s call, inside transition t (saved with t); nothing with one instance. */
export function claimSend(t: Transition, step: SendStep, sender: Sender | undefined, now: number): void {
  const c = sendClaim(step, sender, now);
  if (c) t.run.sending = c;
}

/** The claim a new run is created with, when its first step is such a call. */
export function sendClaim(step: SendStep, sender: Sender | undefined, now: number): SendClaim | undefined {
  return sender ? { step, by: sender.id, at: iso(now) } : undefined;
}

/** The call was made and its answer recorded in t: the claim has done its work. */
export function sendDone(t: Transition): void {
  delete t.run.sending;
}
