import template from './templates/approval.json';
import { renderCard, type AdaptiveCard } from './render';
import { INPUT, executeAction, openUrlAction, withTeamsExtras } from './card-actions';
import {
  formatMetric,
  inlineText,
  metricGoal,
  personText,
  safeUrl,
  type ApprovalCardView,
  type ApprovalMetricView,
  type ApprovalState,
  type MentionEntity,
} from './views';

const BADGE: Record<ApprovalState, { text: string; color: string }> = {
  pending: { text: '\u270b Needs approval', color: 'Warning' },
  approved: { text: '\u2705 Approved', color: 'Good' },
  rejected: { text: '\u274c Rejected', color: 'Attention' },
  expired: { text: '\u231b Expired', color: 'Default' },
  stale: { text: '\u21bb Out of date', color: 'Default' },
};

/**
 * The approval card. The base card (what everyone sees) has canAct false; `refresh` with the
 * approvers' MRIs makes Teams fetch a user-specific card (canAct true) with the buttons for them.
 */
export function approvalCard(view: ApprovalCardView): AdaptiveCard {
  const mentions: MentionEntity[] = [];
  const person = (p: ApprovalCardView['requester']): string => {
    const t = personText(p);
    if (t.entity) mentions.push(t.entity);
    return t.text;
  };
  const pending = view.state === 'pending';
  const ids = { runId: view.runId, approvalId: view.approvalId, cardVersion: view.cardVersion };
  const approvals = view.decisions.filter((d) => d.decision === 'approved').length;
  const commit = safeUrl(view.commit?.url);
  const dashboard = safeUrl(view.dashboardUrl);
  const source = view.commit
    ? { title: 'Commit', value: `${commit ? `[${inlineText(view.commit.sha.slice(0, 10), 10)}](${commit})` : inlineText(view.commit.sha.slice(0, 10), 10)}${view.commit.message ? ` ${inlineText(view.commit.message, 100)}` : ''}` }
    : view.branch ? { title: 'Branch', value: inlineText(view.branch, 100) } : undefined;
  const facts = [
    { title: 'Target', value: inlineText(view.target, 120) },
    { title: 'In production', value: view.productionVersion ? `version ${inlineText(view.productionVersion, 20)}` : view.productionUnknown ? 'not known (the pipeline named no model version)' : 'nothing yet' },
    ...(view.promotedFrom ? [{ title: 'Promoted from', value: `run ${inlineText(view.promotedFrom, 60)}` }] : []),
    ...(source ? [source] : []),
    { title: 'Approvals', value: `${approvals} of ${view.requiredApprovals} required` },
    { title: pending ? 'Expires' : 'Expiry', value: inlineText(view.expiresAt, 40) },
  ];
  const decisions = view.decisions.slice(0, 20).map((d) => ({
    text: `${d.decision === 'approved' ? '\u2705' : '\u274c'} ${person(d.by)} ${d.decision} \u00b7 ${inlineText(d.at, 40)}${d.comment ? `: \u201c${inlineText(d.comment, 300)}\u201d` : ''}`,
  }));
  const approversText = `Approvers: ${view.approvers.length ? view.approvers.slice(0, 20).map(person).join(', ') : 'none configured'}${view.approvers.length > 20 ? ` and ${view.approvers.length - 20} more` : ''}`;
  const note = noteFor(view);
  const actions = pending && (view.canAct || view.buttonsForEveryone)
    ? [executeAction('approve', 'Approve', ids), executeAction('reject', 'Reject', ids)]
    : [];
  const card = renderCard(template, {
    fallbackText: `Deploy ${inlineText(view.model, 60)} version ${inlineText(view.version, 20)}? ${BADGE[view.state].text}`,
    title: `Deploy ${inlineText(view.model, 60)} version ${inlineText(view.version, 20)}?`,
    badge: BADGE[view.state],
    subtitle: `Run ${inlineText(view.runId, 40)} \u00b7 requested by ${person(view.requester)}`,
    facts,
    candidateHeader: `v${inlineText(view.version, 12)}`,
    productionHeader: view.productionVersion ? `v${inlineText(view.productionVersion, 12)} (prod)` : 'Production',
    metrics: view.metrics.slice(0, 12).map(metricRow),
    decisionsTitle: 'Decisions',
    decisions,
    approversText,
    note: note.text,
    noteStyle: note.style,
    showInputs: actions.length > 0,
    commentInputId: INPUT.comment,
    actions: [...actions, ...(commit ? [openUrlAction('View commit', commit)] : []), ...(dashboard ? [openUrlAction('Open in dashboard', dashboard)] : [])],
    footer: pending && view.buttonsForEveryone && !view.canAct
      ? 'Approvers decide here; the bot checks your role when you click, and the requester cannot approve alone.'
      : pending && !view.canAct
        ? 'Only the approvers above see Approve and Reject; the requester cannot approve alone.'
        : `Card version ${view.cardVersion}`,
  });
  const refresh = pending
    ? { action: executeAction('refreshApproval', 'Refresh', ids), userIds: view.approvers.flatMap((a) => (a.mri ? [a.mri] : [])) }
    : undefined;
  return withTeamsExtras(card, { mentions, refresh });
}

function noteFor(view: ApprovalCardView): { text: string; style: string } {
  const last = view.decisions[view.decisions.length - 1];
  const by = last ? ` by ${inlineText(last.by.name, 80)} at ${inlineText(last.at, 40)}` : '';
  switch (view.state) {
    case 'pending':
      return view.canAct ? { text: 'You are an approver. Your decision is final and recorded in the audit log.', style: 'emphasis' } : { text: '', style: 'default' };
    case 'approved':
      return { text: `Approved${by}. Deploying to ${inlineText(view.target, 120)}.`, style: 'good' };
    case 'rejected':
      return { text: `Rejected${by}. Nothing will be deployed.`, style: 'attention' };
    case 'expired':
      return { text: `Expired at ${inlineText(view.expiresAt, 40)} without enough approvals. Start a new run to try again.`, style: 'warning' };
    case 'stale':
      return { text: `This card is out of date: ${inlineText(view.staleReason ?? 'the run has moved on', 200)}.`, style: 'warning' };
  }
}

function metricRow(m: ApprovalMetricView): Record<string, string> {
  const goal = metricGoal(m.name, m.goal);
  if (m.production === undefined) return { name: inlineText(m.name, 40), candidate: formatMetric(m.candidate), production: '\u2014', delta: '\u2014', deltaColor: 'Default' };
  const delta = m.candidate - m.production;
  const better = goal === 'min' ? delta < 0 : delta > 0;
  return {
    name: inlineText(m.name, 40),
    candidate: formatMetric(m.candidate),
    production: formatMetric(m.production),
    delta: `${delta > 0 ? '+' : delta < 0 ? '\u2212' : '\u00b1'}${formatMetric(Math.abs(delta))}${delta === 0 ? '' : better ? ' better' : ' worse'}`,
    deltaColor: delta === 0 ? 'Default' : better ? 'Good' : 'Attention',
  };
}
