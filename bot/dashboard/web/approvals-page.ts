import type { ApprovalsDto } from '../dashboard-dto';
import type { Api } from './api';
import { decisionForm } from './decision-form';
import { h, replace, when } from './dom';

/** Approvals waiting for me: the same list as /approvals in chat, with Approve / Reject in place. */
export async function renderApprovals(main: HTMLElement, api: Api, reload: () => void): Promise<void> {
  const { approvals } = await api.get<ApprovalsDto>('/api/dashboard/approvals');
  const items = approvals.map((a) =>
    h(
      'li',
      { class: 'approval', 'data-run': a.id },
      h('h3', {}, h('a', { href: `#/runs/${encodeURIComponent(a.id)}` }, `${a.model} ${a.modelVersion ? `v${a.modelVersion}` : ''} (run ${a.id})`)),
      h('p', {}, `Requested by ${a.requester}; ${a.decisions} of ${a.required} decisions; expires ${when(a.expiresAt)} (${left(a.expiresAt)}).`),
      a.requestedByYou
        ? h('p', { class: 'muted' }, 'You requested it: another approver must approve.')
        : a.decidedByYou
          ? h('p', { class: 'muted' }, 'You have decided; waiting for the other approvers.')
          : decisionForm(api, a.id, a.version, reload),
    ),
  );
  replace(main, h('h2', {}, 'Approvals waiting for you'), items.length ? h('ul', { class: 'approvals' }, ...items) : h('p', { class: 'muted' }, 'Nothing is waiting for your approval.'));
}

function left(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'expired';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours > 0 ? `${hours} h ${minutes} min left` : `${minutes} min left`;
}
