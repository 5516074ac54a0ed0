/**
 * Durable state behind one interface: SQLite by default; an Azure Storage backend for scale-out
 * implements the same contract. Conversation references are stored as opaque JSON (the bot
 * owns their shape; services never look inside).
 */
export interface ConversationRecord {
  conversationId: string;
  conversationType: string;
  /** Serialized Bot Framework ConversationReference. */
  reference: unknown;
  installedBy: string | undefined;
  updatedAt: string;
}

export interface Store {
  saveConversation(record: ConversationRecord): Promise<void>;
  getConversation(conversationId: string): Promise<ConversationRecord | undefined>;
  listConversations(): Promise<ConversationRecord[]>;
  removeConversation(conversationId: string): Promise<void>;
  /** True once the store is open and its schema is migrated. */
  ready(): boolean;
  close(): Promise<void>;
}
