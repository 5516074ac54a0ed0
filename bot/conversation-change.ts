import { isDeepStrictEqual } from 'node:util';
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
  return !isDeepStrictEqual(withoutActivityId(known.reference), withoutActivityId(next.reference));
}

function withoutActivityId(reference: unknown): unknown {
  if (typeof reference !== 'object' || reference === null) return reference;
  // The stored copy went through JSON: drop undefined fields the live one may still have.
  const { activityId: _activityId, ...rest } = JSON.parse(JSON.stringify(reference)) as Record<string, unknown>;
  return rest;
}
