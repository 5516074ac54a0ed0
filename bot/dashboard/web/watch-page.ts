import type { MessageDto, SchedulesDto, SubscriptionDto, SubscriptionsDto } from '../dashboard-dto';
import type { Api } from './api';
import { notice } from './decision-form';
import { h, replace, when, whenIn } from './dom';

/** A Remove button that posts `body` and reloads the page with the bot's sentence in view. */
function removeButton(api: Api, path: string, body: unknown, label: string, status: HTMLElement, reload: () => void): HTMLElement {
  const button = h('fluent-button', { appearance: 'secondary', 'data-action': 'remove', 'aria-label': label }, 'Remove');
  button.addEventListener('click', () => {
    status.textContent = 'Sending…';
    status.classList.remove('error');
    api.post<MessageDto>(path, body).then(
      (r) => {
        notice(r.message);
        reload();
      },
      (error: unknown) => {
        status.textContent = (error as Error).message;
        status.classList.add('error');
      },
    );
  });
  return button;
}

/**
 * The subscriptions of the conversations you are in (your chat with the bot, the channels and
 * chats whose roster has you): what each follows and which events. Remove is what /unsubscribe
 * in that conversation does.
 */
export async function renderSubscriptions(main: HTMLElement, api: Api, reload: () => void): Promise<void> {
  const status = h('p', { class: 'action-status', role: 'status' });
  const body = h('tbody');
  const more = h('fluent-button', { appearance: 'secondary', hidden: true }, 'More subscriptions');
  const add = (subs: SubscriptionDto[]): void => {
    for (const s of subs) {
      const label = `Remove the subscription of ${s.conversation} to ${s.what}`;
      body.append(
        h(
          'tr',
          { 'data-target': s.target },
          h('td', {}, s.conversation),
          h('td', {}, s.what),
          h('td', {}, s.events.join(', ')),
          h('td', {}, removeButton(api, '/api/dashboard/subscriptions/remove', { conversationId: s.conversationId, target: s.target }, label, status, reload), s.fromConfig ? h('span', { class: 'muted' }, ' declared in mlops.config.yaml: back after a restart') : undefined),
        ),
      );
    }
  };
  const first = await api.get<SubscriptionsDto>('/api/dashboard/subscriptions');
  add(first.subscriptions);
  let next = first.next;
  more.hidden = !next;
  more.addEventListener('click', () => {
    if (!next) return;
    api.get<SubscriptionsDto>(`/api/dashboard/subscriptions?after=${encodeURIComponent(next)}`).then(
      (page) => {
        add(page.subscriptions);
        next = page.next;
        more.hidden = !next;
      },
      (error: unknown) => {
        status.textContent = (error as Error).message;
        status.classList.add('error');
      },
    );
  });
  replace(
    main,
    h('h2', {}, 'Subscriptions'),
    h('p', { class: 'muted' }, 'Where run events are posted, in the conversations you are in. Add one with /subscribe in the conversation.'),
    first.subscriptions.length
      ? h('table', { class: 'subscriptions' }, h('caption', { class: 'visually-hidden' }, 'Subscriptions'), h('thead', {}, h('tr', {}, ...['Conversation', 'Follows', 'Events', ''].map((c, i) => h('th', { scope: 'col', ...(i === 3 ? { 'aria-label': 'Actions' } : {}) }, c)))), body)
      : h('p', {}, 'None of the conversations you are in has a subscription.'),
    more,
    status,
  );
}

/** Retraining schedules (every one, as /schedule lists them); Remove where /unschedule would let you. */
export async function renderSchedules(main: HTMLElement, api: Api, reload: () => void): Promise<void> {
  const { schedules } = await api.get<SchedulesDto>('/api/dashboard/schedules');
  const status = h('p', { class: 'action-status', role: 'status' });
  const rows = schedules.map((s) =>
    h(
      'tr',
      { 'data-model': s.model },
      h('td', {}, s.model),
      h('td', {}, h('code', {}, s.cron), ` (${s.timeZone})`),
      h('td', {}, whenIn(s.nextDue, s.timeZone)),
      h('td', {}, s.owner),
      h('td', {}, s.lastRunId ? h('a', { href: `#/runs/${encodeURIComponent(s.lastRunId)}` }, `${s.lastRunId}, ${when(s.lastFiredAt)}`) : 'not yet'),
      h('td', {}, s.mayRemove ? removeButton(api, '/api/dashboard/schedules/remove', { model: s.model }, `Remove the schedule of ${s.model}`, status, reload) : h('span', { class: 'muted' }, 'your roles do not allow removing it')),
    ),
  );
  replace(
    main,
    h('h2', {}, 'Schedules'),
    h('p', { class: 'muted' }, 'Models retrained on a cron schedule. Add one with /schedule <model> "<cron>" --tz <zone>.'),
    rows.length
      ? h('table', { class: 'schedules' }, h('caption', { class: 'visually-hidden' }, 'Retraining schedules'), h('thead', {}, h('tr', {}, ...['Model', 'Cron', 'Next run', 'Owner', 'Last run', ''].map((c, i) => h('th', { scope: 'col', ...(i === 5 ? { 'aria-label': 'Actions' } : {}) }, c)))), h('tbody', {}, ...rows))
      : h('p', {}, 'No model is retrained on a schedule.'),
    status,
  );
}
