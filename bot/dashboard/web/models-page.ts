import type { ActionDto, EnvironmentDto, ModelDto, ModelsDto } from '../dashboard-dto';
import type { Api } from './api';
import { notice } from './decision-form';
import { h, replace, statusText, when } from './dom';
import { everyWhileVisible } from './refresh';

/** Health is read again at most every 30 s on the bot's side; the page asks as often. */
const REFRESH_MS = 30_000;
const HEALTH_WORDS: Record<string, string> = { healthy: 'healthy', unhealthy: 'unhealthy', unknown: 'unknown', 'not-deployed': 'not deployed' };

/**
 * Models: each model of mlops.config.yaml with its environments in promotion order (live version,
 * scoring URI, health, history), and Promote / Roll back, which the bot hands to the engine's
 * own operations (the same role checks and approvals as chat). `model`: a channel tab's one model.
 */
export function renderModels(main: HTMLElement, api: Api, model?: string): { stop: () => void } {
  let shown: ModelsDto | undefined;
  const path = `/api/dashboard/models${model ? `?model=${encodeURIComponent(model)}` : ''}`;
  const load = async (): Promise<void> => {
    try {
      const page = await api.get<ModelsDto>(path);
      if (page === shown) return;
      // Keep keyboard focus where it was across a redraw (a button keeps its data-focus key).
      const focused = (document.activeElement as HTMLElement | null)?.dataset.focus;
      shown = page;
      replace(main, h('h2', {}, 'Models'), ...page.models.map((m) => modelSection(m, api, () => void load())));
      // A button that went away (a promotion done) leaves the focus on its environment's heading.
      if (focused) (main.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`) ?? main.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused.split('/').slice(0, 2).join('/'))}"]`))?.focus();
    } catch (error) {
      replace(main, h('h2', {}, 'Models'), h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  };
  void load();
  return everyWhileVisible(REFRESH_MS, load);
}

function modelSection(m: ModelDto, api: Api, reload: () => void): HTMLElement {
  return h(
    'section',
    { class: 'model', 'aria-labelledby': `model-${m.name}`, 'data-model': m.name },
    h('h3', { id: `model-${m.name}` }, m.name),
    h('p', { class: 'muted' }, [m.description, `registry: ${m.registeredModel}`].filter(Boolean).join(' · ')),
    h('ol', { class: 'envs', 'aria-label': `Environments of ${m.name}, in promotion order` }, ...m.environments.map((e) => envItem(m.name, e, api, reload))),
  );
}

function envItem(model: string, e: EnvironmentDto, api: Api, reload: () => void): HTMLElement {
  const status = h('p', { class: 'action-status', role: 'status' });
  const act = (verb: 'promote' | 'rollback', label: string, allowed: boolean): HTMLElement => {
    const button = h('fluent-button', { appearance: allowed ? 'primary' : 'secondary', 'data-action': verb, 'data-focus': `${model}/${e.name}/${verb}` }, label);
    button.addEventListener('click', () => {
      status.textContent = 'Sending…';
      status.classList.remove('error');
      api.post<ActionDto>(`/api/dashboard/models/${encodeURIComponent(model)}/environments/${encodeURIComponent(e.name)}/${verb}`, {}).then(
        (r) => {
          status.textContent = r.message;
          notice(`${r.message} Its approval, if the environment has one, is on the run's card and under Approvals.`);
          reload();
        },
        (error: unknown) => {
          status.textContent = (error as Error).message;
          status.classList.add('error');
        },
      );
    });
    return button;
  };
  const buttons: HTMLElement[] = [];
  const promoted = e.promote?.done;
  if (e.promote && e.version && !promoted) buttons.push(act('promote', `Promote v${e.version} to ${e.promote.to}`, e.promote.allowed));
  if (e.rollback?.to) buttons.push(act('rollback', `Roll back to v${e.rollback.to}`, e.rollback.allowed));
  const facts: [string, Node | string][] = [
    ['Version', e.version ? `v${e.version}` : 'none'],
    ['Scoring URI', e.scoringUri ? h('a', { href: e.scoringUri, target: '_blank', rel: 'noopener' }, e.scoringUri) : '—'],
    ['Live since', e.since ? `${when(e.since)} (run ${e.liveRun ?? ''})` : '—'],
    ['Health', h('span', {}, h('span', { class: `health health-${e.health.state}` }, HEALTH_WORDS[e.health.state] ?? e.health.state), ` ${e.health.summary}`)],
  ];
  const noRights = [e.promote && e.version && !promoted && !e.promote.allowed ? `promote to ${e.promote.to}` : '', e.rollback?.to && !e.rollback.allowed ? 'roll back here' : ''].filter(Boolean);
  return h(
    'li',
    { class: 'env', 'data-env': e.name, 'data-health': e.health.state },
    h('h4', { tabindex: -1, 'data-focus': `${model}/${e.name}` }, e.name),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    promoted && e.promote
      ? h('p', {}, `v${e.version ?? '?'} was promoted to ${e.promote.to} by ${promoted.by} on ${when(promoted.at)} (`, h('a', { href: `#/runs/${encodeURIComponent(promoted.runId)}` }, `run ${promoted.runId}`), ').')
      : undefined,
    buttons.length ? h('div', { class: 'buttons' }, ...buttons) : undefined,
    noRights.length ? h('p', { class: 'muted' }, `Your roles do not allow you to ${noRights.join(' or ')}; the bot will say which role it needs.`) : undefined,
    status,
    history(model, e),
  );
}

function history(model: string, e: EnvironmentDto): HTMLElement {
  if (!e.history.length) return h('p', { class: 'muted' }, `No runs of ${model} in ${e.name} yet.`);
  const all = h('a', { href: `#/runs?${new URLSearchParams({ model, env: e.name }).toString()}`, class: 'all-runs' }, `All runs of ${model} in ${e.name}`);
  return h('div', {}, table(model, e), all);
}

function table(model: string, e: EnvironmentDto): HTMLElement {
  return h(
    'table',
    { class: 'history' },
    h('caption', {}, `Deploy history of ${model} in ${e.name}, newest first`),
    h('thead', {}, h('tr', {}, ...['Run', 'Version', 'Status', 'Requested by', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...e.history.map((r) =>
        h(
          'tr',
          { 'data-run': r.id },
          h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.id)),
          h('td', {}, r.modelVersion ? `v${r.modelVersion}` : ''),
          h('td', {}, h('span', { class: `status status-${r.status}` }, statusText(r.status))),
          h('td', {}, r.requester),
          h('td', {}, when(r.createdAt)),
        ),
      ),
    ),
  );
}
