import { app, authentication, FrameContexts } from '@microsoft/teams-js';
import '@fluentui/web-components/button.js';
import '@fluentui/web-components/textarea.js';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { MeDto } from '../dashboard-dto';
import { Api } from './api';
import { renderApprovals } from './approvals-page';
import { renderConfigure } from './configure-page';
import { h, replace } from './dom';
import { renderRun } from './run-page';
import { renderModels } from './models-page';
import { renderRuns, type RunsFilter } from './runs-page';
import { renderSchedules, renderSubscriptions } from './watch-page';
import { applyTheme } from './theme';

/**
 * The dashboard tab. It needs its Teams host: the context (user, theme, locale, the deep link's
 * sub-page), the SSO token for every API call. Opened outside Teams it says how to open it
 * instead of waiting (teams-js rejects at once without a parent, or after 60 s in a frame whose
 * parent never answers: we give up after HOST_WAIT_MS).
 */
const HOST_WAIT_MS = 8000;
const main = document.getElementById('main') as HTMLElement;

async function start(): Promise<void> {
  const hosted = await Promise.race([
    app.initialize().then(() => true, () => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), HOST_WAIT_MS)),
  ]);
  if (!hosted) return outsideTeams();
  const ctx = await app.getContext();
  document.documentElement.lang = ctx.app.locale || 'en';
  applyTheme(ctx.app.theme);
  app.registerOnThemeChangeHandler((t) => applyTheme(t));
  const api = new Api(() => authentication.getAuthToken());
  let me: MeDto;
  try {
    me = await api.get<MeDto>('/api/dashboard/me');
  } catch (error) {
    replace(main, h('h2', {}, 'You are not signed in'), h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    app.notifyFailure({ reason: app.FailedReason.AuthFailed, message: (error as Error).message });
    return;
  }
  (document.getElementById('who') as HTMLElement).textContent = me.name;
  if (ctx.page.frameContext === FrameContexts.settings) {
    renderConfigure(main, me);
    void app.notifySuccess();
    return;
  }
  // A channel tab follows one model (its entity id, set by the configuration page).
  const scoped = /^model:(.{1,200})$/.exec(ctx.page.id)?.[1];
  if (scoped) (document.getElementById('title') as HTMLElement).textContent = `${scoped}: MLOps dashboard`;
  // A deep link from a card ("Open in dashboard") names the run as the sub-page.
  const sub = ctx.page.subPageId;
  if (sub && /^r-\d{1,12}$/.test(sub) && !location.hash.startsWith('#/runs/')) location.hash = `#/runs/${sub}`;
  let filter: RunsFilter = scoped ? { model: scoped } : {};
  let leave: (() => void) | undefined;
  const route = (): void => {
    leave?.();
    leave = undefined;
    const hash = location.hash || '#/runs';
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.setAttribute('aria-current', hash.startsWith(`#/${a.dataset.page ?? ''}`) ? 'page' : 'false');
    const run = /^#\/runs\/(r-\d{1,12})$/.exec(hash);
    const failed = (error: unknown): void => replace(main, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    if (run?.[1]) leave = renderRun(main, api, run[1]).stop;
    else if (hash === '#/approvals') renderApprovals(main, api, route).catch(failed);
    else if (hash === '#/models') leave = renderModels(main, api, scoped).stop;
    else if (hash === '#/subscriptions') renderSubscriptions(main, api, route).catch(failed);
    else if (hash === '#/schedules') renderSchedules(main, api, route).catch(failed);
    else {
      // Filters live in the address (#/runs?model=…&env=…), so a link can set them and Back restores them.
      if (hash.startsWith('#/runs?')) filter = filterOf(hash);
      if (scoped) filter = { ...filter, model: scoped };
      leave = renderRuns(main, api, me, filter, (f) => {
        filter = scoped ? { ...f, model: scoped } : f;
        const next = hashOf(scoped ? { ...f, model: undefined } : f);
        if (location.hash === next) route();
        else location.hash = next;
      }, !!scoped).stop;
    }
  };
  window.addEventListener('hashchange', route);
  route();
  void app.notifySuccess();
}

const FILTER_KEYS = ['model', 'status', 'env', 'requester'] as const;

function filterOf(hash: string): RunsFilter {
  const q = new URLSearchParams(hash.slice(hash.indexOf('?') + 1));
  const f: RunsFilter = {};
  for (const k of FILTER_KEYS) {
    const v = q.get(k)?.trim();
    if (v) f[k] = v.slice(0, 200);
  }
  return f;
}

function hashOf(f: RunsFilter): string {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k]);
  const text = q.toString();
  return text ? `#/runs?${text}` : '#/runs';
}

function outsideTeams(): void {
  replace(
    main,
    h('h2', {}, 'Open the dashboard in Microsoft Teams'),
    h('p', {}, 'This page is a Teams tab: it signs you in through Teams. Open Teams, choose Apps, find MLOps ChatOps and select the Dashboard tab, or use “Open in dashboard” on a run card.'),
  );
}

void start();
