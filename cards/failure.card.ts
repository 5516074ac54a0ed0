import template from './templates/failure.json';
import { renderCard, type AdaptiveCard } from './render';
import { executeAction, openUrlAction, withTeamsExtras } from './card-actions';
import { clip, inlineText, personText, safeUrl, stageLabel, trimToBudget, type FailureCardView } from './views';

/** Lines shown by default; trimToBudget keeps fewer if the card would be too large. */
export const FAILURE_LOG_LINES = 20;

/** Sent to the run's conversation (and subscribed channels) when any stage fails. */
export function failureCard(view: FailureCardView): AdaptiveCard {
  const extra = Math.max(0, view.logLines.length - FAILURE_LOG_LINES);
  const tail: FailureCardView = {
    ...view,
    logLines: view.logLines.slice(extra),
    omittedLogLines: (view.omittedLogLines ?? 0) + extra,
  };
  return trimToBudget(tail, buildFailureCard);
}

function buildFailureCard(view: FailureCardView): AdaptiveCard {
  const requester = personText(view.requester);
  const ids = { runId: view.runId, cardVersion: view.cardVersion };
  const logs = safeUrl(view.logsUrl);
  const dashboard = safeUrl(view.dashboardUrl);
  const omitted = view.omittedLogLines ?? 0;
  const stage = stageLabel(view.stage);
  const card = renderCard(template, {
    fallbackText: `Run ${inlineText(view.runId, 40)} of ${inlineText(view.model, 60)} failed at ${stage}: ${inlineText(view.error, 200)}`,
    title: `\u274c Run ${inlineText(view.runId, 40)} failed at ${stage}`,
    subtitle: `${inlineText(view.model, 60)} \u00b7 ${inlineText(view.failedAt, 40)}`,
    error: inlineText(view.error, 500),
    mentionText: `${requester.text}, your run stopped. Retry it once the cause is fixed, or cancel it.`,
    log: view.logLines.map(logLine),
    logId: `log-${view.runId.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}`,
    logToggleTitle: `Show the last ${view.logLines.length} log line${view.logLines.length === 1 ? '' : 's'}`,
    omittedText: omitted > 0 ? `\u2026 ${omitted} earlier line${omitted === 1 ? '' : 's'} omitted${logs ? ' (Open logs shows all)' : ''}` : '',
    noLogText: 'No log output was captured for this stage.',
    actions: [
      ...(view.canRetry ? [executeAction('retryRun', 'Retry', ids)] : []),
      ...(view.canCancel ? [executeAction('cancelRun', 'Cancel run', ids)] : []),
      ...(logs ? [openUrlAction('Open logs', logs)] : []),
      ...(dashboard ? [openUrlAction('Open in dashboard', dashboard)] : []),
    ],
  });
  return withTeamsExtras(card, { mentions: requester.entity ? [requester.entity] : [] });
}

/**
 * A log line as inert monospace text. Not collapsed like other text: indentation matters in logs,
 * so leading spaces become non-breaking ones (Markdown would drop them).
 */
function logLine(line: string): string {
  const clipped = clip(line.replace(/\t/g, '  ').replace(/[\r\n]+/g, ' '), 300);
  const indent = /^ */.exec(clipped)?.[0].length ?? 0;
  const body = inlineText(clipped.slice(indent), 300);
  return `${'\u00a0'.repeat(indent)}${body || '\u00a0'}`;
}
