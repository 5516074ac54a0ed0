import type { ConversationReference } from 'botbuilder';
import type { Store } from '../../services/store/store';
import type { ConversationReferences } from './notifier.types';

/** The references TeamsBot saved on install and on every message, read back for proactive sends. */
export function storeReferences(store: Pick<Store, 'getConversation'>): ConversationReferences {
  return {
    get: async (conversationId) => {
      const record = await store.getConversation(conversationId);
      return isReference(record?.reference) ? record.reference : undefined;
    },
  };
}

/** The store keeps references as opaque JSON; only one that can address a conversation is used. */
function isReference(value: unknown): value is ConversationReference {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as Partial<ConversationReference>;
  return typeof ref.serviceUrl === 'string' && ref.serviceUrl !== '' && typeof ref.conversation?.id === 'string';
}
