import { TeamsInfo, type CloudAdapter, type ConversationReference } from 'botbuilder';
import type { PersonView } from '../cards/views';
import type { Authorizer } from '../services/auth/authorizer';
import { entryMatches, samePrincipal } from '../services/auth/principal';
import type { Logger } from '../services/logger';
import type { Store } from '../services/store/store';
import type { RunRecord } from '../services/workflow/run.types';
import type { ApproverDirectory } from './actions/card-action.handler';
import { person } from './views/run-views';

type Member = { id: string; name: string; aadObjectId?: string; userPrincipalName?: string };

export interface TeamsApproverDirectoryDeps {
  conversations: Store;
  adapter: CloudAdapter;
  appId: string;
  auth: Authorizer;
  logger: Logger;
}

/**
 * Who may approve a run, for its approval card: the approvers among the conversation's members
 * (read from Teams, cached 10 minutes) and the configured ones who are not members. The click
 * handler and the dispatcher both depend on this, not on each other.
 */
export class TeamsApproverDirectory implements ApproverDirectory {
  private readonly members = new Map<string, { at: number; raw: Member[] }>();
  /** Rosters being read: the clicks that arrive meanwhile wait for that read instead of each starting one. */
  private readonly reading = new Map<string, Promise<Member[]>>();

  constructor(private readonly deps: TeamsApproverDirectoryDeps) {}

  /**
   * Approvers of the model: members of the run's conversation are @mentioned (Teams can only
   * mention members); the configured ones who are not members are named as configured.
   */
  async approversOf(run: RunRecord): Promise<PersonView[]> {
    const members = await this.membersOf(run.conversationId);
    const present: typeof members = [];
    for (const m of members) {
      const who = { id: m.id, name: m.name, aadObjectId: m.aadObjectId, upn: m.userPrincipalName };
      if (!samePrincipal(who, run.requester) && (await this.deps.auth.hasRole(who, 'approver', run.model, run.target))) present.push(m);
    }
    const isPresent = (entry: string): boolean => present.some((m) => entryMatches(entry, { id: m.id, aadObjectId: m.aadObjectId, upn: m.userPrincipalName }));
    const configured = this.deps.auth.policy
      .principals('approver', run.model, run.target)
      .filter((p) => p !== '*' && !p.toLowerCase().startsWith('group:') && !isPresent(p) && !entryMatches(p, run.requester))
      .map((p) => ({ name: p }));
    return [...present.map((m) => person({ id: m.id, name: m.name })), ...configured];
  }

  /** The member of a conversation with this UPN or Entra object id (who triggered an external run), if any. */
  async findMember(conversationId: string, who: { upn?: string | undefined; id?: string | undefined }): Promise<{ id: string; name: string } | undefined> {
    const upn = who.upn?.toLowerCase();
    const id = who.id?.toLowerCase();
    const m = (await this.membersOf(conversationId)).find((x) => (upn !== undefined && x.userPrincipalName?.toLowerCase() === upn) || (id !== undefined && x.aadObjectId?.toLowerCase() === id));
    return m ? { id: m.id, name: m.name } : undefined;
  }

  private async membersOf(conversationId: string): Promise<Member[]> {
    const cached = this.members.get(conversationId);
    if (cached && Date.now() - cached.at < 10 * 60_000) return cached.raw;
    // Twenty approvers clicking at once on a cold cache made twenty roster reads of one
    // conversation, each a proactive turn and one Bot Connector request per page (issue 13).
    const under = this.reading.get(conversationId);
    if (under) return under;
    const read = this.readMembers(conversationId).finally(() => this.reading.delete(conversationId));
    this.reading.set(conversationId, read);
    return read;
  }

  private async readMembers(conversationId: string): Promise<Member[]> {
    const now = Date.now();
    const rec = await this.deps.conversations.getConversation(conversationId);
    if (!rec) return [];
    const raw: Member[] = [];
    try {
      await this.deps.adapter.continueConversationAsync(this.deps.appId, rec.reference as Partial<ConversationReference>, async (ctx) => {
        let token: string | undefined;
        do {
          const page = await TeamsInfo.getPagedMembers(ctx, 100, token);
          for (const m of page.members ?? []) raw.push({ id: m.id, name: m.name ?? m.id, ...(m.aadObjectId ? { aadObjectId: m.aadObjectId } : {}), ...(m.userPrincipalName ? { userPrincipalName: m.userPrincipalName } : {}) });
          token = page.continuationToken;
        } while (token);
      });
    } catch (error) {
      this.deps.logger.warn('could not list conversation members; approvers are not mentioned', { conversationId, error });
    }
    this.members.set(conversationId, { at: now, raw });
    return raw;
  }
}
