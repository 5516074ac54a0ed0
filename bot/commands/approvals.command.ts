import { z } from 'zod';
import { listCard } from '../../cards/list.card';
import { formatTime } from '../views/run-views';
import { samePrincipal } from '../../services/auth/principal';
import { approvalCount } from '../../services/workflow/approval-policy';
import { durationText } from '../../services/workflow/transitions';
import { defineCommand } from './command-spec';
import { noFlags, noParams } from './args';

/** How long an approval has before it expires, for the on-call reader ("3h 12m", "expired"). */
export function timeLeft(expiresAt: string | undefined, now: number): string {
  if (!expiresAt) return '?';
  const ms = Date.parse(expiresAt) - now;
  return ms <= 0 ? 'expired' : durationText(ms);
}

export const approvalsCommand = defineCommand({
  id: 'approvals',
  summary: 'List the approvals waiting for you.',
  usage: '/approvals',
  examples: ['/approvals'],
  positionals: [],
  flags: {},
  args: z.object({ positionals: z.object({}), flags: noFlags, params: noParams }),
  sideEffects: false,
  run: async (_args, ctx) => {
    const wf = ctx.workflow;
    const waiting = [];
    for (const r of await wf.runs.listRuns({ status: 'waiting_approval' })) {
      if (r.approval?.state === 'pending' && (await ctx.auth.hasRole(ctx.user, 'approver', r.model, r.target))) waiting.push(r);
    }
    return {
      kind: 'card',
      summary: `${waiting.length} approvals waiting for you`,
      card: listCard({
        title: 'Approvals waiting for you',
        rows: waiting.map((r) => ({
          title: `${r.model} version ${r.registered?.version ?? '?'} (run ${r.id})`,
          status: `${approvalCount(r.approval?.decisions ?? [])} of ${r.approval?.required ?? 1}`,
          facts: [
            { title: 'Requested by', value: r.requester.name },
            { title: 'Expires', value: formatTime(r.approval?.expiresAt) },
            { title: 'Time left', value: timeLeft(r.approval?.expiresAt, wf.now()) },
            ...(samePrincipal(r.requester, ctx.user) ? [{ title: 'Note', value: 'you requested it: another approver must approve' }] : []),
          ],
        })),
        emptyText: 'Nothing is waiting for your approval.',
        footer: 'Approve or reject on the approval card in the run\'s conversation.',
      }),
    };
  },
});
