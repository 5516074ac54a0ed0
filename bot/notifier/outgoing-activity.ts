import { ActivityTypes, CardFactory, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import type { Mention, OutgoingMessage } from './notifier.types';

/** Shrink steps tried before giving up on a message; guards against a shrink() that never converges. */
const MAX_SHRINK_STEPS = 50;
/** The fallback summary is cut here (characters) so the fallback itself always fits. */
const MAX_FALLBACK_CHARS = 4_000;

export interface FittedActivity {
  activity: Partial<Activity>;
  /** The message the activity was built from (after shrinking), kept for a 413 retry. */
  message: OutgoingMessage;
  utf16Bytes: number;
  shrinkSteps: number;
  fallback: boolean;
  /** Mentions left out because their `<at>name</at>` text is nowhere in the message. */
  droppedMentions: string[];
}

/**
 * Builds the activity and brings it under the budget: shrink() until it fits, then the
 * plain-text fallback with the summary, so Teams never has to answer 413.
 */
export function fitActivity(message: OutgoingMessage, reference: Partial<ConversationReference>, budgetBytes: number): FittedActivity {
  let current = message;
  let steps = 0;
  let built = buildActivity(current);
  let size = measure(built.activity, reference);
  while (size > budgetBytes && current.shrink && steps < MAX_SHRINK_STEPS) {
    const smaller = current.shrink();
    steps += 1;
    if (!smaller) break;
    current = smaller;
    built = buildActivity(current);
    size = measure(built.activity, reference);
  }
  if (size <= budgetBytes) return { activity: built.activity, message: current, utf16Bytes: size, shrinkSteps: steps, fallback: false, droppedMentions: built.dropped };
  const fallback = fallbackMessage(message);
  const fb = buildActivity(fallback);
  return { activity: fb.activity, message: fallback, utf16Bytes: measure(fb.activity, reference), shrinkSteps: steps, fallback: true, droppedMentions: fb.dropped };
}

/** The smallest honest message: the summary as text, with the mentions kept so nobody misses it. */
export function fallbackMessage(message: OutgoingMessage): OutgoingMessage {
  const summary = message.summary.length > MAX_FALLBACK_CHARS ? `${message.summary.slice(0, MAX_FALLBACK_CHARS - 1)}…` : message.summary;
  const mentions = (message.mentions ?? []).slice(0, 20);
  const tags = mentions.map((m) => mentionText(m)).join(' ');
  return { text: tags ? `${summary} ${tags}` : summary, summary, mentions };
}

/** Teams measures the whole payload as UTF-16, including what the adapter adds from the reference. */
export function measure(activity: Partial<Activity>, reference: Partial<ConversationReference>): number {
  const wire = TurnContext.applyConversationReference({ ...activity }, reference);
  return Buffer.byteLength(JSON.stringify(wire), 'utf16le');
}

export function buildActivity(message: OutgoingMessage): { activity: Partial<Activity>; dropped: string[] } {
  const mentions = message.mentions ?? [];
  const dropped: string[] = [];
  const textMentions = [];
  const cardMentions = [];
  const cardJson = message.card ? JSON.stringify(message.card) : '';
  for (const m of mentions) {
    const tag = mentionText(m);
    const entity = { type: 'mention', text: tag, mentioned: { id: m.id, name: m.name } };
    const inText = message.text?.includes(tag) ?? false;
    const inCard = cardJson.includes(JSON.stringify(tag).slice(1, -1));
    if (inText) textMentions.push(entity);
    if (inCard) cardMentions.push(entity);
    if (!inText && !inCard) dropped.push(m.name);
  }
  const activity: Partial<Activity> = { type: ActivityTypes.Message, summary: message.summary };
  if (message.text !== undefined) activity.text = message.text;
  if (textMentions.length > 0) activity.entities = textMentions;
  if (message.card) {
    activity.attachments = [CardFactory.adaptiveCard(withCardMentions(message.card, cardMentions))];
  }
  return { activity, dropped };
}

export function mentionText(m: Mention): string {
  return `<at>${m.name}</at>`;
}

function withCardMentions(card: Record<string, unknown>, entities: Record<string, unknown>[]): Record<string, unknown> {
  if (entities.length === 0) return card;
  const msteams = isRecord(card.msteams) ? card.msteams : {};
  const existing = Array.isArray(msteams.entities) ? (msteams.entities as unknown[]) : [];
  const known = new Set(existing.filter(isRecord).map((e) => `${String(e.text)}|${JSON.stringify(e.mentioned)}`));
  const added = entities.filter((e) => !known.has(`${String(e.text)}|${JSON.stringify(e.mentioned)}`));
  return { ...card, msteams: { ...msteams, entities: [...existing, ...added] } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
