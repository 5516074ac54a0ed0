import { entryMatches } from '../services/auth/principal';
import type { Store } from '../services/store/store';

/** The 1:1 chats of the configured admins with the bot (where operational notices go). */
export async function adminChats(conversations: Pick<Store, 'listConversations'>, admins: readonly string[]): Promise<string[]> {
  if (admins.length === 0) return [];
  return (await conversations.listConversations())
    .filter((c) => c.conversationType === 'personal' && c.installedBy && admins.some((a) => a.trim() !== '*' && entryMatches(a, { id: c.installedBy, aadObjectId: c.installedBy })))
    .map((c) => c.conversationId);
}
