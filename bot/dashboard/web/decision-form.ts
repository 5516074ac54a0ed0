import type { DecisionDto } from '../dashboard-dto';
import type { Api } from './api';
import { h } from './dom';

/** Shows a sentence above the page until the next one (the bot's answer to a decision). */
export function notice(text: string): void {
  const el = document.getElementById('notice');
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
}

/** Approve / Reject with a comment: the bot calls the engine's own decide, under the card's policy. */
export function decisionForm(api: Api, runId: string, seenVersion: number, done: () => void): HTMLElement {
  const id = `comment-${runId}`;
  const comment = h('fluent-textarea', { id, placeholder: 'Comment (optional)', 'aria-label': `Comment on run ${runId}` }) as HTMLElement & { value?: string };
  const status = h('p', { class: 'decision-status', role: 'status' });
  const send = async (decision: 'approved' | 'rejected'): Promise<void> => {
    status.textContent = 'Sending…';
    try {
      const r = await api.post<DecisionDto>(`/api/dashboard/runs/${encodeURIComponent(runId)}/decision`, { decision, comment: comment.value ?? '', seenVersion });
      status.textContent = r.message;
      // The form goes away when the page redraws: the page-level notice keeps the answer in view.
      notice(r.message);
      done();
    } catch (error) {
      status.textContent = (error as Error).message;
      status.classList.add('error');
    }
  };
  const approve = h('fluent-button', { appearance: 'primary', 'data-action': 'approve' }, 'Approve');
  const reject = h('fluent-button', { appearance: 'secondary', 'data-action': 'reject' }, 'Reject');
  approve.addEventListener('click', () => void send('approved'));
  reject.addEventListener('click', () => void send('rejected'));
  return h('div', { class: 'decision' }, comment, h('div', { class: 'buttons' }, approve, reject), status);
}
