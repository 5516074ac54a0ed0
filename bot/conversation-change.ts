import type { ConversationRecord } from '../services/store/store';

/**
 * Whether a turn's conversation record says anything the stored one does not. Every message used
 * to upsert its conversation in a synchronous SQLite transaction (an fsync with synchronous=FULL)
 * although nearly every turn brings the same reference (issue 13). The reference's activityId is
 * left out of the comparison: it names the incoming message, not the conversation, and changes
 * on every turn; proactive sends address the conversation (its id carries the channel thread).
 * updatedAt therefore means "last changed", not "last seen".
 */
export function conversationChanged(known: ConversationRecord | undefined, next: ConversationRecord): boolean {
  if (!known) return true;
  if (known.conversationType !== next.conversationType) return true;
  // The store keeps the old installer when the new record has none (COALESCE), so only a new value counts.
  if (next.installedBy !== undefined && next.installedBy !== known.installedBy) return true;
  return referenceJson(known.reference) !== referenceJson(next.reference);
}

/**
 * The reference as the store writes it (JSON: undefined fields dropped), less its activityId.
 * Compared as text: equal text means equal references, and this is one stringify per side where
 * a JSON round trip of each and a deep comparison were (issue 13, every message turn). Keys keep
 * their order (the spread overwrites activityId in place), and both sides are built by botbuilder's
 * getConversationReference, so the same reference gives the same text; a stored copy with its keys
 * in another order (written by another botbuilder version) can only read as changed, which costs
 * one write and makes the two texts the same from then on.
 */
function referenceJson(reference: unknown): string | undefined {
  if (typeof reference !== 'object' || reference === null) return JSON.stringify(reference);
  return JSON.stringify({ ...reference, activityId: undefined });
}
