import rfdc from 'rfdc';
import type { TransitionEffects } from './run-store';
import { STAGE_IDS, STAGE_SYSTEMS, stageOf, type RunRecord, type StageId, type StageState } from './run.types';

/** A transition computed by a step: the new run and what must be announced with it. */
export interface Transition {
  run: RunRecord;
  effects: Required<TransitionEffects>;
  /**
   * 'now': once persisted, the run's next step needs no news from outside (a new stage began, or
   * an intent was recorded and its call is due), so the engine takes it at once instead of at the
   * tracker's next poll. Not stored.
   */
  next?: 'now';
}

/**
 * A run is plain JSON (it is stored as such), so rfdc's copy of plain objects and arrays does what
 * structuredClone did here, about ten times faster: every step begins with a copy, also the many
 * polls that change nothing (issue 13, tracking bursts).
 */
const copyRun = rfdc({ proto: false, circles: false });

export function begin(run: RunRecord): Transition {
  return { run: copyRun(run), effects: { audit: [], outbox: [] } };
}

export function iso(now: number): string {
  return new Date(now).toISOString();
}

export function startStage(t: Transition, id: StageId, now: number, detail?: string, state: StageState = 'running'): void {
  const s = stageOf(t.run, id);
  s.state = state;
  s.startedAt ??= iso(now);
  if (detail !== undefined) s.detail = detail;
}

export function finishStage(t: Transition, id: StageId, state: StageState, now: number, detail?: string): void {
  const s = stageOf(t.run, id);
  s.state = state;
  s.startedAt ??= iso(now);
  s.finishedAt = iso(now);
  if (detail !== undefined) s.detail = detail;
}

/** The stage after `id` that is not skipped, or undefined at the end. */
export function nextStage(run: RunRecord, id: StageId): StageId | undefined {
  const idx = STAGE_IDS.indexOf(id);
  return STAGE_IDS.slice(idx + 1).find((s) => stageOf(run, s).state !== 'skipped');
}

/** Fails the run at `stage`; `system` names what refused when it is not the stage's usual system (a relayed decision that Azure DevOps refused). */
export function fail(t: Transition, stage: StageId, message: string, logTail: string[], now: number, system: string = STAGE_SYSTEMS[stage]): void {
  finishStage(t, stage, 'failed', now);
  t.run.status = 'failed';
  t.run.failure = { stage, system, message, logTail: logTail.slice(-200) };
  t.effects.outbox.push({ kind: 'progress' }, { kind: 'failed' });
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'run.failed', outcome: 'failed', detail: { stage, message } });
}

export function touch(t: Transition, now: number): void {
  t.run.updatedAt = iso(now);
  if (!t.effects.outbox.some((o) => o.kind === 'progress')) t.effects.outbox.push({ kind: 'progress' });
}

export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
