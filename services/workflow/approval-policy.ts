import { samePrincipal } from '../auth/principal';
import type { Decision, PersonRef, RunRecord } from './run.types';

export type DecisionRefusal =
  | { kind: 'not-waiting'; message: string }
  | { kind: 'not-approver'; message: string }
  | { kind: 'self-approval'; message: string }
  | { kind: 'already-decided'; message: string };

const when = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** Why a click cannot change this run's approval, in words for the person who clicked; undefined if it can. */
export function refusalFor(run: RunRecord, user: PersonRef, decision: Decision['decision'], isApprover: boolean, now: number): DecisionRefusal | undefined {
  const a = run.approval;
  if (!a || a.state !== 'pending' || run.status !== 'waiting_approval') {
    const last = a?.decisions.at(-1);
    let message: string;
    if (a?.state === 'approved' && last) message = `Already approved by ${last.by.name} at ${when(last.at)}.`;
    else if (a?.state === 'rejected' && last) message = `Already rejected by ${last.by.name} at ${when(last.at)}${last.comment ? `: "${last.comment}"` : ''}.`;
    else if (a?.state === 'expired') message = `This approval expired at ${when(a.expiresAt)}; nothing was deployed.`;
    else if (a?.state === 'stale') message = `This approval is stale: a newer model version superseded it (${run.stages.find((s) => s.id === 'approval')?.detail ?? 'see the newer run'}).`;
    else message = `Run ${run.id} is not waiting for an approval (it is ${run.status.replace('_', ' ')}).`;
    return { kind: 'not-waiting', message };
  }
  if (now > Date.parse(a.expiresAt)) return { kind: 'not-waiting', message: `This approval expired at ${when(a.expiresAt)}; nothing was deployed.` };
  if (!isApprover) return { kind: 'not-approver', message: `You are not an approver for ${run.model}. Nothing was changed.` };
  if (decision === 'approved' && samePerson(run.requester, user)) {
    return { kind: 'self-approval', message: `You requested run ${run.id}, so your own approval does not count. Another approver must approve it.` };
  }
  const mine = a.decisions.find((d) => samePerson(d.by, user));
  if (mine) return { kind: 'already-decided', message: `You already ${mine.decision} this at ${when(mine.at)}.` };
  return undefined;
}

/** The same person, by any of their identifiers, through the one identity rule (../auth/principal). */
export const samePerson: (a: PersonRef, b: PersonRef) => boolean = samePrincipal;

/** Distinct people who approved: two decisions by one person under two ids count once. */
export function approvalCount(decisions: readonly Decision[]): number {
  const people: PersonRef[] = [];
  for (const d of decisions) if (d.decision === 'approved' && !people.some((p) => samePrincipal(p, d.by))) people.push(d.by);
  return people.length;
}
