import template from './templates/run.json';
import { renderCard, type AdaptiveCard } from './render';
import { keyWithSeries, memoByView } from './card-memo';
import { executeAction, openUrlAction, withTeamsExtras } from './card-actions';
import {
  STAGES,
  STAGE_ICON,
  STATUS_BADGE,
  downsample,
  formatMetric,
  inlineText,
  metricGoal,
  clip,
  personText,
  safeUrl,
  sparkline,
  trimToBudget,
  type EnvironmentView,
  type MetricSeries,
  type RunCardView,
  type RunStatus,
  type StageView,
} from './views';

const ACTIVE: readonly RunStatus[] = ['running', 'waiting_approval'];

/** The one run card, updated in place as the run moves; trimmed to the size budget; built once per view (card-memo.ts). */
export const runCard: (view: RunCardView) => AdaptiveCard = memoByView((view: RunCardView) => trimToBudget(view, buildRunCard), 32, keyWithSeries);

function buildRunCard(view: RunCardView): AdaptiveCard {
  const requester = personText(view.requester);
  const active = ACTIVE.includes(view.status);
  const stages = STAGES.map((s) => stageRow(s, view.stages.find((v) => v.id === s.id) ?? { id: s.id, state: 'pending' }));
  const done = view.stages.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length;
  const percent = Math.round(Math.min(100, Math.max(0, Number.isFinite(view.progressPercent) ? view.progressPercent : 0)));
  const logs = safeUrl(view.logsUrl);
  const dashboard = safeUrl(view.dashboardUrl);
  const actions = [
    ...(active && view.canCancel ? [executeAction('cancelRun', 'Cancel run', { runId: view.runId, cardVersion: view.cardVersion })] : []),
    ...(view.status === 'failed' && view.canRetry ? [executeAction('retryRun', 'Retry', { runId: view.runId, cardVersion: view.cardVersion })] : []),
    ...(view.promote ? [executeAction('promoteRun', `Promote v${inlineText(view.promote.version, 20)} to ${inlineText(view.promote.env, 40)}`, { runId: view.runId, cardVersion: view.cardVersion })] : []),
    // Issue 10: the deployed version's card offers the rollback /rollback would do (same approval).
    ...(view.rollbackVersion ? [executeAction('rollbackTo', `Roll back to v${inlineText(view.rollbackVersion, 20)}`, { model: view.model, version: view.rollbackVersion, ...(view.rollbackEnv ? { env: view.rollbackEnv } : {}), cardVersion: view.cardVersion })] : []),
    ...(logs ? [openUrlAction('Open logs', logs)] : []),
    ...(dashboard ? [openUrlAction('Open in dashboard', dashboard)] : []),
  ];
  const badge = STATUS_BADGE[view.status];
  const scoringUri = safeUrl(view.scoringUri) ?? '';
  const card = renderCard(template, {
    title: `${inlineText(view.model, 60)} \u00b7 run ${inlineText(view.runId, 40)}`,
    fallbackText: `Run ${inlineText(view.runId, 40)} of ${inlineText(view.model, 60)}: ${badge.text}`,
    badge,
    subtitle: `Requested by ${requester.text} \u00b7 branch ${inlineText(view.branch, 80)}`,
    params: view.parameters.length ? view.parameters.slice(0, 30).map((p) => `${inlineText(p.name, 40)} = **${inlineText(p.value, 80)}**`).join(' \u00b7 ') : '',
    progress: progressBar(percent, view.status, `${percent}% \u00b7 ${done} of ${STAGES.length} stages done`),
    stages,
    metrics: view.metrics.slice(0, 8).map(metricFact),
    metricsNote: view.metrics.length ? `Latest value, the best so far (lowest for loss and error metrics, else highest) and the trend over ${Math.max(...view.metrics.map((m) => m.points.length))} logged steps.` : '',
    deployedText: `\u2705 Deployed${view.modelVersion ? ` version ${inlineText(view.modelVersion, 20)}` : ''}: scoring URI`,
    scoringUri: scoringUri ? inlineText(scoringUri, 400) : '',
    environments: (view.environments ?? []).length > 1 ? (view.environments ?? []).slice(0, 10).map(environmentFact) : [],
    actions,
    updated: `Updated ${inlineText(view.updatedAt, 40)}`,
  });
  const refresh = active ? { action: executeAction('refreshRun', 'Refresh', { runId: view.runId, cardVersion: view.cardVersion }), userIds: [] } : undefined;
  return withTeamsExtras(withMetricsChart(card, view.metrics), { mentions: requester.entity ? [requester.entity] : [], refresh });
}

/**
 * Points per series in the chart, and their significant digits. The chart is drawn a few hundred
 * pixels wide: 24 points keep a training curve's shape, and 4 digits are finer than a pixel (the
 * FactSet beside it gives the exact last and best values). It was 40 points of 6 digits, 2.6 KB of
 * the 7.7 KB card, and numbers are the costliest part of the card's JSON: the bot serializes the
 * card on every send, and Teams carries it to every member (issue 13).
 */
const CHART_POINTS = 24;
const CHART_DIGITS = 4;

/**
 * Teams draws `Chart.Line`; other hosts (and Adaptive Cards 1.5 renderers such as the playground)
 * show its fallback, the metrics FactSet. Points are downsampled to keep the card small.
 */
function withMetricsChart(card: AdaptiveCard, metrics: RunCardView['metrics']): AdaptiveCard {
  if (metrics.length === 0) return card;
  const chart = (facts: unknown): Record<string, unknown> => ({
    type: 'Chart.Line',
    id: 'metricsChart',
    xAxisTitle: 'step',
    yAxisTitle: 'value',
    colorSet: 'categorical',
    data: metrics.slice(0, 4).map((m) => ({ legend: clip(m.name, 40), values: downsample(m.points, CHART_POINTS).map((p) => ({ x: String(p.step), y: Number(p.value.toPrecision(CHART_DIGITS)) })) })),
    fallback: facts,
  });
  const swap = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(swap);
    if (!node || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    if (o.id === 'metricsFacts') return chart(o);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, swap(v)]));
  };
  return swap(card) as AdaptiveCard;
}

/**
 * A text progress bar (ProgressBar is not in the 1.5 schema): a line of heavy rules, the done
 * part coloured. Monospace, so every segment has the same width.
 */
function progressBar(percent: number, status: RunStatus, text: string): Record<string, string> {
  const width = 28;
  const filled = Math.round((percent / 100) * width);
  const color = status === 'failed' ? 'Attention' : status === 'succeeded' ? 'Good' : status === 'running' || status === 'waiting_approval' ? 'Accent' : 'Default';
  return { filled: '\u2501'.repeat(filled) || '\u200b', empty: '\u2501'.repeat(width - filled) || '\u200b', color, text: `  ${text}` };
}

function stageRow(stage: (typeof STAGES)[number], v: StageView): Record<string, string> {
  const url = safeUrl(v.url);
  const right = [v.duration ? inlineText(v.duration, 20) : '', url ? `[Open](${url})` : ''].filter(Boolean).join(' \u00b7 ');
  return {
    icon: STAGE_ICON[v.state],
    name: stage.label,
    weight: v.state === 'running' || v.state === 'waiting' || v.state === 'failed' ? 'Bolder' : 'Default',
    detail: [v.state === 'pending' || v.state === 'succeeded' ? '' : v.state, v.detail ? inlineText(v.detail, 160) : ''].filter(Boolean).join(' \u00b7 '),
    right,
  };
}

function environmentFact(e: EnvironmentView): { name: string; value: string } {
  const uri = safeUrl(e.scoringUri);
  const parts = [e.version ? `**v${inlineText(e.version, 20)}**` : 'not deployed yet', e.note ? inlineText(e.note, 60) : '', uri ? inlineText(uri, 300) : ''];
  return { name: inlineText(e.name, 40), value: parts.filter(Boolean).join(' \u00b7 ') };
}

function metricFact(series: MetricSeries): { name: string; value: string } {
  const points = series.points.filter((p) => Number.isFinite(p.value));
  const last = points[points.length - 1];
  if (!last) return { name: inlineText(series.name, 40), value: 'no values yet' };
  const goal = metricGoal(series.name, series.goal);
  const best = points.reduce((b, p) => ((goal === 'min' ? p.value < b.value : p.value > b.value) ? p : b), last);
  const trend = sparkline(downsample(points, 12).map((p) => p.value), 12);
  return {
    name: inlineText(series.name, 40),
    value: `**${formatMetric(last.value)}** (best ${formatMetric(best.value)} at step ${best.step})${trend ? `  ${trend}` : ''}`,
  };
}
