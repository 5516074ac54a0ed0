import type { RunRecord } from './run.types';

/**
 * The one rule for "the version a rollback goes back to": the newest succeeded run's version is
 * what is live; the previous production version is the newest succeeded run with another one.
 * Used by /rollback (run-engine) and by the "Roll back to vN" buttons (the bot's card views).
 */
export function rollbackTarget(runsNewestFirst: readonly RunRecord[], env?: string): { current: string; previous: string } | undefined {
  // Per environment when one is named (what is live in staging is not what is live in production).
  const live = runsNewestFirst.filter((r) => r.status === 'succeeded' && r.kind !== 'relay' && r.registered?.version && (env === undefined || r.target === env));
  const current = live[0]?.registered?.version;
  const previous = live.find((r) => r.registered?.version !== current)?.registered?.version;
  return current && previous ? { current, previous } : undefined;
}
