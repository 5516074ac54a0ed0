import { samePrincipal } from '../../services/auth/principal';
import type { ConversationRecord } from '../../services/store/store';
import type { SsoUser } from './sso-validator';

/** The roster lookup the bot already has (TeamsApproverDirectory.findMember: Teams' paged members, cached 10 minutes). */
export interface MemberLookup {
  findMember(conversationId: string, who: { upn?: string | undefined; id?: string | undefined }): Promise<{ id: string; name: string } | undefined>;
}

/**
 * Whether the signed-in person is in a conversation, which is what /unsubscribe asks of whoever
 * types it there: a 1:1 chat with the bot is the person's who installed it (the same test as the
 * dispatcher's and admin-chats'); a channel or group chat has them on its Teams roster.
 */
export async function isInConversation(user: SsoUser, c: ConversationRecord, members: MemberLookup): Promise<boolean> {
  if (c.conversationType === 'personal') return !!c.installedBy && samePrincipal({ id: c.installedBy, aadObjectId: c.installedBy }, user);
  return (await members.findMember(c.conversationId, { upn: user.upn, id: user.aadObjectId })) !== undefined;
}

/** A conversation in words, from its stored reference (the bot owns its shape: a Bot Framework ConversationReference). */
export function conversationWords(c: ConversationRecord): string {
  const name = (c.reference as { conversation?: { name?: unknown } } | undefined)?.conversation?.name;
  const named = typeof name === 'string' && name.trim() ? ` “${name.trim().slice(0, 80)}”` : '';
  switch (c.conversationType) {
    case 'personal':
      return 'Your chat with the bot';
    case 'channel':
      return `Team channel${named}`;
    case 'groupChat':
      return `Group chat${named}`;
    default:
      return `Conversation${named}`;
  }
}
