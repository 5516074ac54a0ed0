import type { RunRecord } from './run.types';

/**
 * The one rule for "the version a rollback goes back to": the newest succeeded run's version is
 * what is live; the previous production version is the newest succeeded run with another one.
 * Used by /rollback (run-engine) and by the "Roll back to vN" buttons (the bot's card views).
 */
export function rollbackTarget(runsNewestFirst: readonly RunRecord[]): { current: string; previous: string } | undefined {
  const live = runsNewestFirst.filter((r) => r.status === 'succeeded' && r.ext.modelVersion);
  const current = live[0]?.ext.modelVersion;
  const previous = live.find((r) => r.ext.modelVersion !== current)?.ext.modelVersion;
  return current && previous ? { current, previous } : undefined;
}
