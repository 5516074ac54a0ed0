import type { Logger } from '../../services/logger';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { durationText } from '../../services/workflow/transitions';
import type { Store } from '../../services/store/store';
import type { ApproverDirectory } from '../actions/card-action.handler';
import { adminChats } from '../admin-chats';
import type { Notifier } from '../notifier';

export interface ApprovalRemindersDeps {
  runs: RunStore;
  conversations: Pick<Store, 'listConversations'>;
  /** One reminder and one expiry notice per run, persisted (SqliteStore.markReminder, or AzureTableStore's shared by every instance). */
  marks: { markReminder(runId: string, kind: 'reminder' | 'expired', at: string): boolean | Promise<boolean>; unmarkReminder(runId: string, kind: 'reminder' | 'expired'): void | Promise<void> };
  notifier: Notifier;
  approvers: ApproverDirectory;
  admins: readonly string[];
  remindBeforeMs: number;
  logger: Logger;
}

/**
 * Approvals that do not rot: `remindBeforeMs` before an approval expires, the approvers are
 * @mentioned in the run's conversation; when it expires, the admins are told in their chats with
 * the bot (the run card itself turns "expired" through the engine). Each at most once per run,
 * recorded before sending and un-recorded if sending fails, so a restart neither repeats nor drops one.
 */
export class ApprovalReminders {
  constructor(private readonly deps: ApprovalRemindersDeps) {}

  async check(now = Date.now()): Promise<{ reminded: string[]; expired: string[] }> {
    const out = { reminded: [] as string[], expired: [] as string[] };
    for (const run of await this.deps.runs.listRuns({ limit: 200 })) {
      const a = run.approval;
      if (!a) continue;
      const expiresAt = Date.parse(a.expiresAt);
      const at = new Date(now).toISOString();
      if (a.state === 'pending' && now < expiresAt && expiresAt - now <= this.deps.remindBeforeMs && (await this.deps.marks.markReminder(run.id, 'reminder', at))) {
        if (await this.send(run, 'reminder', () => this.remind(run, expiresAt - now))) out.reminded.push(run.id);
      }
      if (((a.state === 'pending' && now >= expiresAt) || a.state === 'expired') && (await this.deps.marks.markReminder(run.id, 'expired', at))) {
        if (await this.send(run, 'expired', () => this.tellAdmins(run))) out.expired.push(run.id);
      }
    }
    return out;
  }

  private async send(run: RunRecord, kind: 'reminder' | 'expired', work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      await this.deps.marks.unmarkReminder(run.id, kind);
      this.deps.logger.warn('approval reminder not delivered; retried on the next check', { runId: run.id, kind, error });
      return false;
    }
  }

  private async remind(run: RunRecord, leftMs: number): Promise<void> {
    const people = await this.deps.approvers.approversOf(run);
    const mentioned = people.filter((p) => p.mri);
    const names = people.map((p) => (p.mri ? `<at>${p.name}</at>` : p.name)).join(', ') || 'approvers';
    const text = `\u23f0 ${names}: the approval of ${run.model} version ${run.registered?.version ?? '?'} (run ${run.id}) expires in ${durationText(leftMs)}. Approve or reject it on its card, or it expires and nothing is deployed.`;
    await this.deps.notifier.send(run.conversationId, { text, summary: `Approval of ${run.model} expires in ${durationText(leftMs)}`, mentions: mentioned.map((p) => ({ id: p.mri ?? '', name: p.name })) });
  }

  private async tellAdmins(run: RunRecord): Promise<void> {
    const text = `The approval of ${run.model} version ${run.registered?.version ?? '?'} (run ${run.id}, requested by ${run.requester.name}) expired at ${run.approval?.expiresAt ?? '?'} without a decision; nothing was deployed. /retry is on the run card.`;
    for (const c of await adminChats(this.deps.conversations, this.deps.admins)) await this.deps.notifier.send(c, { text, summary: `Approval of ${run.model} expired` });
  }
}
