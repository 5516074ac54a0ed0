import type { MeDto, RunsPageDto, RunSummaryDto } from '../dashboard-dto';
import type { Api } from './api';
import { h, replace, statusText, when } from './dom';

const STATUSES = ['running', 'waiting_approval', 'succeeded', 'failed', 'canceled', 'expired'];

export interface RunsFilter {
  model?: string;
  status?: string;
  requester?: string;
}

/** The runs list: filters, newest first, "Older runs" pages on with the API's cursor. */
/** `modelLocked`: a channel tab follows one model, so there is no model filter to change. */
export async function renderRuns(main: HTMLElement, api: Api, me: MeDto, filter: RunsFilter, onFilter: (f: RunsFilter) => void, modelLocked = false): Promise<void> {
  const query = (before?: string): string => {
    const q = new URLSearchParams();
    if (filter.model) q.set('model', filter.model);
    if (filter.status) q.set('status', filter.status);
    if (filter.requester) q.set('requester', filter.requester);
    if (before) q.set('before', before);
    return `/api/dashboard/runs?${q.toString()}`;
  };
  const select = (label: string, name: keyof RunsFilter, options: { value: string; text: string }[]): HTMLElement => {
    const id = `filter-${name}`;
    const el = h('select', { id, name }, h('option', { value: '' }, 'all'), ...options.map((o) => h('option', { value: o.value, selected: filter[name] === o.value }, o.text)));
    el.addEventListener('change', () => onFilter({ ...filter, [name]: el.value || undefined }));
    return h('span', { class: 'field' }, h('label', { for: id }, label), el);
  };
  const mine = h('input', { type: 'checkbox', id: 'filter-mine', checked: filter.requester === 'me' });
  mine.addEventListener('change', () => onFilter({ ...filter, requester: mine.checked ? 'me' : undefined }));
  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    modelLocked ? undefined : select('Model', 'model', me.models.map((m) => ({ value: m.name, text: m.name }))),
    select('Status', 'status', STATUSES.map((s) => ({ value: s, text: statusText(s) }))),
    h('span', { class: 'field' }, mine, h('label', { for: 'filter-mine' }, 'Started by me')),
  );
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'runs' },
    h('caption', { class: 'visually-hidden' }, 'Runs, newest first'),
    h('thead', {}, h('tr', {}, ...['Run', 'Model', 'Version', 'Status', 'Stage', 'Requested by', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
  const more = h('fluent-button', { appearance: 'secondary', hidden: true }, 'Older runs');
  replace(main, h('h2', {}, modelLocked && filter.model ? `Runs of ${filter.model}` : 'Runs'), filters, table, more);
  let next: string | undefined;
  const load = async (before?: string): Promise<void> => {
    const page = await api.get<RunsPageDto>(query(before));
    for (const r of page.runs) body.append(row(r));
    if (!before && page.runs.length === 0) body.append(h('tr', {}, h('td', { colspan: 7 }, 'No runs match these filters.')));
    next = page.next;
    more.hidden = !next;
  };
  more.addEventListener('click', () => {
    if (next) void load(next);
  });
  await load();
}

function row(r: RunSummaryDto): HTMLElement {
  return h(
    'tr',
    { 'data-run': r.id },
    h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.id)),
    h('td', {}, r.model),
    h('td', {}, r.modelVersion ? `v${r.modelVersion}` : ''),
    h('td', {}, h('span', { class: `status status-${r.status}` }, statusText(r.status))),
    h('td', {}, r.current ?? ''),
    h('td', {}, r.requester),
    h('td', {}, when(r.createdAt)),
  );
}
