import type { RunPageDto } from '../dashboard-dto';
import type { Api } from './api';
import { metricChart } from './chart';
import { decisionForm } from './decision-form';
import { h, replace, statusText, when } from './dom';

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'expired']);

/**
 * One run: the stage timeline with durations and links, parameters, every metric as a chart, the
 * approval and the audit. While the run moves, the page revalidates every few seconds (an
 * unchanged run costs a 304); `stop()` ends it when the person leaves the page.
 */
export function renderRun(main: HTMLElement, api: Api, runId: string, pollMs = 3000): { stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let shownVersion = -1;
  const tick = async (): Promise<void> => {
    try {
      const page = await api.get<RunPageDto>(`/api/dashboard/runs/${encodeURIComponent(runId)}`);
      if (page.run.version !== shownVersion) {
        shownVersion = page.run.version;
        draw(main, api, page, () => void tick());
      }
      if (!stopped && !FINAL.has(page.run.status)) timer = setTimeout(() => void tick(), pollMs);
    } catch (error) {
      replace(main, h('h2', {}, `Run ${runId}`), h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

function draw(main: HTMLElement, api: Api, { run, you }: RunPageDto, refresh: () => void): void {
  const timeline = h(
    'ol',
    { class: 'timeline', 'aria-label': 'Stages' },
    ...run.stages.map((s) =>
      h(
        'li',
        { class: `stage stage-${s.state}`, 'data-stage': s.id },
        h('span', { class: 'stage-name' }, s.label),
        h('span', { class: 'stage-state' }, s.state),
        s.duration ? h('span', { class: 'stage-duration' }, s.duration) : undefined,
        s.detail ? h('span', { class: 'stage-detail' }, s.detail) : undefined,
        s.url ? h('a', { href: s.url, target: '_blank', rel: 'noopener' }, 'open') : undefined,
      ),
    ),
  );
  const facts = h(
    'dl',
    { class: 'facts' },
    ...[
      ['Model', run.model],
      ['Version', run.modelVersion ? `v${run.modelVersion}` : '—'],
      ['Requested by', run.requester],
      ['Branch', run.branch],
      ['Started', when(run.createdAt)],
      ['Updated', when(run.updatedAt)],
      ...(run.scoringUri ? [['Scoring URI', run.scoringUri]] : []),
    ].flatMap(([k, v]) => [h('dt', {}, k ?? ''), h('dd', {}, v ?? '')]),
  );
  const params = run.parameters.length
    ? h('section', { 'aria-labelledby': 'params-h' }, h('h3', { id: 'params-h' }, 'Parameters'), h('dl', { class: 'facts' }, ...run.parameters.flatMap((p) => [h('dt', {}, p.name), h('dd', {}, p.value)])))
    : undefined;
  const metrics = h(
    'section',
    { 'aria-labelledby': 'metrics-h' },
    h('h3', { id: 'metrics-h' }, 'Metrics'),
    run.metrics.length ? h('div', { class: 'charts' }, ...run.metrics.map((m) => metricChart(m.name, m.points))) : h('p', { class: 'muted' }, 'No metrics logged yet.'),
  );
  const approval = run.approval
    ? h(
        'section',
        { 'aria-labelledby': 'approval-h' },
        h('h3', { id: 'approval-h' }, 'Approval'),
        h('p', {}, `${run.approval.state}: ${run.approval.approvals} of ${run.approval.required} approvals; expires ${when(run.approval.expiresAt)}.`),
        h('ul', {}, ...run.approval.decisions.map((d) => h('li', {}, `${d.by} ${d.decision}${d.comment ? `: “${d.comment}”` : ''} (${when(d.at)})`))),
        you.mayDecide ? decisionForm(api, run.id, run.version, refresh) : you.requestedIt && run.approval.state === 'pending' ? h('p', { class: 'muted' }, 'You requested this run: another approver must approve it.') : undefined,
      )
    : undefined;
  const failure = run.failure
    ? h('section', { class: 'failure', role: 'alert', 'aria-labelledby': 'failure-h' }, h('h3', { id: 'failure-h' }, `Failed at ${run.failure.stage} (${run.failure.system})`), h('p', {}, run.failure.message), h('pre', {}, run.failure.logTail.join('\n')))
    : undefined;
  const audit = h(
    'details',
    {},
    h('summary', {}, `Audit (${run.audit.length})`),
    h('table', {}, h('thead', {}, h('tr', {}, ...['When', 'Who', 'What', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, ...run.audit.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, a.actor), h('td', {}, a.action), h('td', {}, a.outcome))))),
  );
  replace(
    main,
    h('p', {}, h('a', { href: '#/runs' }, '← All runs')),
    h('h2', {}, `Run ${run.id} `, h('span', { class: `status status-${run.status}`, 'data-status': run.status }, statusText(run.status))),
    h('progress', { max: 100, value: run.progressPercent, 'aria-label': `${run.progressPercent}% done` }),
    facts,
    timeline,
    failure,
    approval,
    metrics,
    params,
    audit,
  );
}
