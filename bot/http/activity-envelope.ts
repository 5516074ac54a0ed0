import { z } from 'zod';
import { isHttpUrl } from '../../services/http/url';

/**
 * The least an activity must carry before the adapter sees it: what the bot reads on every turn
 * (Bot Framework Activity schema, botframework/protocols: type, channelId, serviceUrl, from.id,
 * conversation.id, recipient.id). An activity without them cannot be answered, so it is a 400
 * here instead of a crash (500) deep inside a turn.
 */
const id = z.string().trim().min(1).max(1024);
const httpUrl = z.string().max(2048).refine(isHttpUrl, 'must be an http(s) URL');

const envelope = z.looseObject({
  type: z.string().trim().min(1).max(64),
  channelId: z.string().trim().min(1).max(64),
  serviceUrl: httpUrl,
  from: z.looseObject({ id, name: z.string().max(1024).optional().nullable(), aadObjectId: z.string().max(256).optional().nullable() }),
  conversation: z.looseObject({ id, conversationType: z.string().max(64).optional().nullable(), tenantId: z.string().max(256).optional().nullable(), isGroup: z.boolean().optional().nullable(), name: z.string().max(1024).optional().nullable() }),
  recipient: z.looseObject({ id, name: z.string().max(1024).optional().nullable() }),
  text: z.string().max(28_000).optional().nullable(),
  name: z.string().max(256).optional().nullable(),
  replyToId: z.string().max(1024).optional().nullable(),
  entities: z.array(z.looseObject({ type: z.string().max(256).optional().nullable() })).max(256).optional().nullable(),
  channelData: z.looseObject({}).optional().nullable(),
  membersAdded: z.array(z.looseObject({ id })).max(1000).optional().nullable(),
  membersRemoved: z.array(z.looseObject({ id })).max(1000).optional().nullable(),
});

export type EnvelopeCheck = { ok: true; activity: Record<string, unknown> } | { ok: false; message: string };

export function checkActivityEnvelope(body: unknown): EnvelopeCheck {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, message: 'The body must be a Bot Framework activity (a JSON object).' };
  const parsed = envelope.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'activity';
    return { ok: false, message: `The activity is malformed: ${where} ${issue?.code === 'invalid_type' ? 'is missing or of the wrong type' : (issue?.message ?? 'is invalid')}.` };
  }
  return { ok: true, activity: parsed.data };
}

/**
 * What botbuilder's CloudAdapter.process does before processActivity (lib/activityValidator.js,
 * validateAndFixActivity): ISO timestamps become Dates, the raw strings kept. Invalid dates stay
 * raw strings, never an exception.
 */
export function fixTimestamps(activity: Record<string, unknown>): Record<string, unknown> {
  const out = { ...activity };
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['expiration', 'rawExpiration'], ['localTimestamp', 'rawLocalTimestamp']] as const) {
    const v = out[field];
    if (typeof v !== 'string') continue;
    const d = new Date(v);
    out[raw] = v;
    out[field] = Number.isNaN(d.getTime()) ? undefined : d;
  }
  return out;
}
