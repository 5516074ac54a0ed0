import type { AdaptiveCard } from './render';
import { executeAction, openUrlAction, withTeamsExtras } from './card-actions';
import { clip, inlineText, personText, safeUrl, trimToBudget, type PersonView } from './views';

/** A run the team started outside the bot (a CI build from the UI, a scheduled job), as the card shows it. */
export interface ExternalRunCardView {
  /** The report key (`azure-devops:42`): the only id a Retry click carries back. */
  watchKey: string;
  cardVersion: number;
  system: 'Azure DevOps' | 'Databricks';
  /** "Pipeline mlops-ci" / "Job nightly-etl". */
  target: string;
  runName: string;
  outcome: 'failed' | 'succeeded';
  result: string;
  failedStep?: string;
  error?: string;
  logLines: readonly string[];
  omittedLogLines?: number;
  url?: string;
  /** Who triggered it: mentioned when they are a member of this conversation, named otherwise. */
  triggeredBy?: PersonView;
  /** "manual", "schedule", "pull request" ... */
  reason?: string;
  branch?: string;
  finishedAt?: string;
  model?: string;
  /** The latest retry the bot queued, if any. */
  retry?: { runId: number; by: string; state: 'running' | 'succeeded' | 'failed' | 'canceled'; url?: string; error?: string };
  canRetry: boolean;
  /** "Roll back to vN": the previous version in `rollbackEnv` (same approval as /rollback). */
  rollbackVersion?: string;
  /** The environment that rollback is for: the model's last, as /rollback without --env. */
  rollbackEnv?: string;
}

export const EXTERNAL_LOG_LINES = 20;
const RETRY_TEXT = { running: '\u23f3 Retry running', succeeded: '\u2705 Retry succeeded', failed: '\u274c Retry failed', canceled: '\u26d4 Retry canceled' } as const;

export function externalRunCard(view: ExternalRunCardView): AdaptiveCard {
  const extra = Math.max(0, view.logLines.length - EXTERNAL_LOG_LINES);
  return trimToBudget({ ...view, logLines: view.logLines.slice(extra), omittedLogLines: (view.omittedLogLines ?? 0) + extra }, build);
}

function build(view: ExternalRunCardView): AdaptiveCard {
  const failed = view.outcome === 'failed';
  const who = view.triggeredBy ? personText(view.triggeredBy) : undefined;
  const url = safeUrl(view.url);
  const facts = [
    ...(view.failedStep ? [{ title: 'Failed at', value: inlineText(view.failedStep, 200) }] : []),
    ...(who ? [{ title: 'Triggered by', value: who.text }] : []),
    ...(view.reason ? [{ title: 'Reason', value: inlineText(view.reason, 60) }] : []),
    ...(view.branch ? [{ title: 'Branch', value: inlineText(view.branch.replace(/^refs\/heads\//, ''), 120) }] : []),
    ...(view.model ? [{ title: 'Model', value: inlineText(view.model, 60) }] : []),
    ...(view.finishedAt ? [{ title: 'Finished', value: inlineText(view.finishedAt, 40) }] : []),
  ];
  const logId = `log-${view.watchKey.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}`;
  const omitted = view.omittedLogLines ?? 0;
  const retry = view.retry;
  const body: Record<string, unknown>[] = [
    {
      type: 'Container',
      style: failed ? 'attention' : 'good',
      bleed: true,
      items: [
        { type: 'TextBlock', text: `${failed ? '\u274c' : '\u2705'} ${inlineText(view.target, 120)} ${failed ? inlineText(view.result, 30) : 'succeeded'}`, size: 'Large', weight: 'Bolder', wrap: true },
        { type: 'TextBlock', text: `${view.system} \u00b7 run ${inlineText(view.runName, 60)}`, size: 'Small', wrap: true, spacing: 'None' },
      ],
    },
    ...(view.error ? [{ type: 'TextBlock', text: inlineText(view.error, 500), wrap: true, weight: 'Bolder', spacing: 'Medium' }] : []),
    ...(facts.length ? [{ type: 'FactSet', facts }] : []),
    ...(retry
      ? [{ type: 'TextBlock', text: `${RETRY_TEXT[retry.state]}: ${retry.runId ? `run ${retry.runId}` : 'starting'}, asked by ${inlineText(retry.by, 80)}${retry.error ? ` \u2014 ${inlineText(retry.error, 200)}` : ''}`, wrap: true, spacing: 'Medium', color: retry.state === 'succeeded' ? 'Good' : retry.state === 'running' ? 'Accent' : 'Attention' }]
      : []),
  ];
  if (view.logLines.length > 0) {
    body.push(
      { type: 'ActionSet', spacing: 'Medium', actions: [{ type: 'Action.ToggleVisibility', title: `Show the last ${view.logLines.length} log line${view.logLines.length === 1 ? '' : 's'}`, targetElements: [logId] }] },
      {
        type: 'Container',
        id: logId,
        isVisible: false,
        style: 'emphasis',
        spacing: 'Small',
        items: [
          ...(omitted > 0 ? [{ type: 'TextBlock', text: `\u2026 ${omitted} earlier line${omitted === 1 ? '' : 's'} omitted`, isSubtle: true, size: 'Small', wrap: true }] : []),
          ...view.logLines.map((l) => ({ type: 'TextBlock', text: inlineText(clip(l, 300), 300) || '\u00a0', fontType: 'Monospace', size: 'Small', wrap: true, spacing: 'None' })),
        ],
      },
    );
  }
  const ids = { watchKey: view.watchKey, cardVersion: view.cardVersion };
  const actions = [
    ...(view.canRetry && failed ? [executeAction('retryExternal', 'Retry', ids)] : []),
    ...(view.rollbackVersion && view.model ? [executeAction('rollbackTo', `Roll back ${view.rollbackEnv ? `${clip(view.rollbackEnv, 40)} ` : ''}to v${clip(view.rollbackVersion, 20)}`, { model: view.model, version: view.rollbackVersion, ...(view.rollbackEnv ? { env: view.rollbackEnv } : {}), cardVersion: view.cardVersion })] : []),
    ...(url ? [openUrlAction(view.system === 'Databricks' ? 'Open run in Databricks' : 'Open run in Azure DevOps', url)] : []),
    ...(retry?.url && safeUrl(retry.url) ? [openUrlAction('Open the retry', safeUrl(retry.url) ?? '')] : []),
  ];
  if (actions.length) body.push({ type: 'ActionSet', spacing: 'Medium', actions });
  const fallbackText = `${inlineText(view.target, 120)} ${failed ? inlineText(view.result, 30) : 'succeeded'} (run ${inlineText(view.runName, 60)})${view.error ? `: ${inlineText(view.error, 200)}` : ''}`;
  const card: AdaptiveCard = { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5', fallbackText, body };
  return withTeamsExtras(card, { mentions: who?.entity ? [who.entity] : [] });
}
