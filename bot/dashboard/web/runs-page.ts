import type { MeDto, RunsPageDto, RunSummaryDto } from '../dashboard-dto';
import type { Api } from './api';
import { h, replace, statusText, when } from './dom';
import { everyWhileVisible } from './refresh';

const STATUSES = ['running', 'waiting_approval', 'succeeded', 'failed', 'canceled', 'expired'];
/** How often the newest page is revalidated (a 304 when nothing changed). */
const REFRESH_MS = 10_000;

export interface RunsFilter {
  model?: string;
  status?: string;
  /** `me`, or a requester's display name. */
  requester?: string;
  env?: string;
}

/**
 * The runs list: filters (model, status, environment, requester), newest first, "Older runs"
 * pages on with the API's cursor. The newest page revalidates itself, so the list can stay open
 * all day; `stop()` ends that when the person leaves the page. `modelLocked`: a channel tab
 * follows one model, so there is no model filter to change.
 */
export function renderRuns(main: HTMLElement, api: Api, me: MeDto, filter: RunsFilter, onFilter: (f: RunsFilter) => void, modelLocked = false): { stop: () => void } {
  const query = (before?: string): string => {
    const q = new URLSearchParams();
    for (const k of ['model', 'status', 'requester', 'env'] as const) if (filter[k]) q.set(k, filter[k]);
    if (before) q.set('before', before);
    return `/api/dashboard/runs?${q.toString()}`;
  };
  const select = (label: string, name: keyof RunsFilter, options: { value: string; text: string }[]): HTMLElement => {
    const id = `filter-${name}`;
    const el = h('select', { id, name }, h('option', { value: '' }, 'all'), ...options.map((o) => h('option', { value: o.value, selected: filter[name] === o.value }, o.text)));
    el.addEventListener('change', () => onFilter({ ...filter, [name]: el.value || undefined }));
    return h('span', { class: 'field' }, h('label', { for: id }, label), el);
  };
  const models = modelLocked && filter.model ? me.models.filter((m) => m.name === filter.model) : me.models;
  const envs = [...new Set(models.flatMap((m) => m.environments))];
  const mine = h('input', { type: 'checkbox', id: 'filter-mine', checked: filter.requester === 'me' });
  mine.addEventListener('change', () => onFilter({ ...filter, requester: mine.checked ? 'me' : undefined }));
  // Anyone by display name; the names seen on this page are offered as suggestions.
  const people = h('datalist', { id: 'requesters' });
  const who = h<'input'>('input', { type: 'search', id: 'filter-requester', list: 'requesters', value: filter.requester && filter.requester !== 'me' ? filter.requester : '', placeholder: 'a name', autocomplete: 'off', maxlength: 200 });
  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    modelLocked ? undefined : select('Model', 'model', me.models.map((m) => ({ value: m.name, text: m.name }))),
    select('Status', 'status', STATUSES.map((s) => ({ value: s, text: statusText(s) }))),
    envs.length > 1 || filter.env ? select('Environment', 'env', envs.map((e) => ({ value: e, text: e }))) : undefined,
    h('span', { class: 'field' }, h('label', { for: 'filter-requester' }, 'Requested by'), who, people),
    h('span', { class: 'field' }, mine, h('label', { for: 'filter-mine' }, 'Started by me')),
    h('button', { type: 'submit', class: 'visually-hidden' }, 'Apply filters'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    onFilter({ ...filter, requester: who.value.trim() || undefined });
  });
  who.addEventListener('change', () => onFilter({ ...filter, requester: who.value.trim() || undefined }));
  const newest = h('tbody', { 'data-page': 'newest' });
  const older = h('tbody', { 'data-page': 'older' });
  const table = h(
    'table',
    { class: 'runs' },
    h('caption', { class: 'visually-hidden' }, 'Runs, newest first'),
    h('thead', {}, h('tr', {}, ...['Run', 'Model', 'Environment', 'Version', 'Status', 'Stage', 'Requested by', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
    newest,
    older,
  );
  const more = h('fluent-button', { appearance: 'secondary', hidden: true }, 'Older runs');
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  replace(main, h('h2', {}, modelLocked && filter.model ? `Runs of ${filter.model}` : 'Runs'), filters, problem, table, more);
  let next: string | undefined;
  let shown: RunsPageDto | undefined;
  const suggest = (runs: RunSummaryDto[]): void => {
    const names = new Set([...people.querySelectorAll('option')].map((o) => o.value));
    for (const r of runs) if (!names.has(r.requester)) people.append(h('option', { value: r.requester }));
  };
  // The newest page: redrawn only when the bot's answer changed (a 304 returns the same object).
  const loadNewest = async (): Promise<void> => {
    try {
      const page = await api.get<RunsPageDto>(query());
      problem.hidden = true;
      if (page === shown) return;
      shown = page;
      newest.replaceChildren(...(page.runs.length ? page.runs.map(row) : [h('tr', {}, h('td', { colspan: 8 }, 'No runs match these filters.'))]));
      // Runs that moved up into the newest page leave the older pages.
      for (const r of page.runs) older.querySelector(`tr[data-run="${CSS.escape(r.id)}"]`)?.remove();
      suggest(page.runs);
      if (!older.hasChildNodes()) next = page.next;
      more.hidden = !next;
    } catch (error) {
      problem.textContent = (error as Error).message;
      problem.hidden = false;
    }
  };
  more.addEventListener('click', () => {
    if (!next) return;
    api.get<RunsPageDto>(query(next)).then(
      (page) => {
        older.append(...page.runs.map(row));
        suggest(page.runs);
        next = page.next;
        more.hidden = !next;
      },
      (error: unknown) => {
        problem.textContent = (error as Error).message;
        problem.hidden = false;
      },
    );
  });
  void loadNewest();
  return everyWhileVisible(REFRESH_MS, loadNewest);
}

function row(r: RunSummaryDto): HTMLElement {
  return h(
    'tr',
    { 'data-run': r.id },
    h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.id)),
    h('td', {}, r.model),
    h('td', {}, r.env),
    h('td', {}, r.modelVersion ? `v${r.modelVersion}` : ''),
    h('td', {}, h('span', { class: `status status-${r.status}` }, statusText(r.status))),
    h('td', {}, r.current ?? ''),
    h('td', {}, r.requester),
    h('td', {}, when(r.createdAt)),
  );
}
