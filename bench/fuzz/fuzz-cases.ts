import fc from 'fast-check';
import { gzipSync, deflateSync } from 'node:zlib';

/** One hostile request: where it goes, its headers and its raw bytes. */
export interface FuzzRequest {
  route: 'messages' | 'webhook-azure-devops' | 'webhook-databricks';
  headers: Record<string, string>;
  body: Uint8Array | string;
}

export type FuzzRoute = 'raw' | 'envelope' | 'command' | 'click' | 'webhook';

export interface CaseContext {
  serviceUrl: string;
  webhookSecret: string;
  guardedRunId: string;
  /** Real payloads (service hooks, Databricks notifications) to mutate. */
  webhookExamples: Array<{ route: 'webhook-azure-devops' | 'webhook-databricks'; body: Record<string, unknown> }>;
}

const json = { 'content-type': 'application/json' };
const path = (obj: unknown, keys: readonly string[]): Record<string, unknown> | undefined => {
  let node = obj as Record<string, unknown> | undefined;
  for (const k of keys) node = node && typeof node[k] === 'object' && node[k] !== null ? (node[k] as Record<string, unknown>) : undefined;
  return node;
};

/** Sets or deletes fields of a copy: the mutations an attacker makes to a well-formed body. */
function mutate(base: Record<string, unknown>, edits: ReadonlyArray<{ keys: readonly string[]; value: unknown; del: boolean }>): Record<string, unknown> {
  const copy = structuredClone(base);
  for (const e of edits) {
    const parent = e.keys.length > 1 ? path(copy, e.keys.slice(0, -1)) : copy;
    const last = e.keys.at(-1);
    if (!parent || last === undefined) continue;
    if (e.del) delete parent[last];
    else parent[last] = e.value;
  }
  return copy;
}

/** Strangers only: random ids, or ids that look like someone's (another case, an orgid form). */
const stranger = fc.record({
  id: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }).map((s) => `29:${s}`), fc.constantFrom('29:stranger', '8:orgid:ffffffff-0000-4000-8000-000000000001', 'user-id-9', 'USER-ID-9')),
  name: fc.string({ maxLength: 30 }),
  aadObjectId: fc.option(fc.uuid(), { nil: undefined }),
});

function activity(ctx: CaseContext, from: unknown, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'fuzz-1', timestamp: new Date().toISOString(), channelId: 'msteams', serviceUrl: ctx.serviceUrl, from,
    recipient: { id: 'bot-id', name: 'MLOps ChatOps' }, conversation: { id: 'a:fuzz-conv', conversationType: 'personal', tenantId: 'tenant-1' }, ...extra,
  };
}

const COMMANDS = ['/train', '/status', '/runs', '/approvals', '/cancel', '/deploy', '/rollback', '/logs', '/subscribe', '/unsubscribe', '/audit', '/whoami', '/help', 'train', '/TRAIN', '/Status'];
const WORDS = ['--limit', '-1', '0', '999999999999999999', 'r-1', 'R-1', 'r-0', 'fashion-cnn', 'nope-model', 'lr=NaN', 'lr=1e309', 'epochs=-5', 'optimizer=evil', 'batch_size=', '=', '--branch', '../../etc/passwd', '--events', 'failed,hacked', '<at>Bot</at>', '"', "'", '\u0000', '\u202e', '%s%s%n', '${7*7}', '{{x}}'];
const VERBS = ['approve', 'reject', 'refreshApproval', 'cancelRun', 'retryRun', 'refreshRun', 'chooseTrainModel', 'submitTrain', 'nonsense', '__proto__', ''];

export function fuzzCases(ctx: CaseContext): Record<FuzzRoute, fc.Arbitrary<FuzzRequest>> {
  const good = (text: string) => activity(ctx, { id: '29:stranger', name: 'S' }, { type: 'message', text });
  const raw: fc.Arbitrary<FuzzRequest> = fc
    .record({
      route: fc.constantFrom<FuzzRequest['route']>('messages', 'webhook-azure-devops', 'webhook-databricks'),
      payload: fc.oneof(fc.uint8Array({ maxLength: 2_048 }), fc.string({ maxLength: 2_048 }), fc.json().map((j) => j), fc.constant(JSON.stringify(good('/help')))),
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16le', 'application/json; charset=latin1', 'text/plain', '', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'),
      encoding: fc.constantFrom<string | undefined>(undefined, 'gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'GZIP', 'x-gzip'),
      compress: fc.constantFrom<'none' | 'gzip' | 'deflate'>('none', 'gzip', 'deflate'),
      withSecret: fc.boolean(),
    })
    .map(({ route, payload, contentType, encoding, compress, withSecret }) => {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
      const body = compress === 'gzip' ? gzipSync(bytes) : compress === 'deflate' ? deflateSync(bytes) : bytes;
      const headers: Record<string, string> = {};
      if (contentType) headers['content-type'] = contentType;
      if (encoding) headers['content-encoding'] = encoding;
      if (withSecret && route !== 'messages') headers['x-webhook-secret'] = ctx.webhookSecret;
      return { route, headers, body: new Uint8Array(body) };
    });

  const field = fc.constantFrom(['type'], ['from'], ['from', 'id'], ['from', 'aadObjectId'], ['from', 'name'], ['conversation'], ['conversation', 'id'], ['conversation', 'conversationType'], ['recipient'], ['recipient', 'id'], ['channelId'], ['text'], ['value'], ['entities'], ['timestamp'], ['localTimestamp'], ['channelData'], ['replyToId'], ['name'], ['membersAdded'], ['serviceUrl']);
  const envelope: fc.Arbitrary<FuzzRequest> = fc
    .record({
      type: fc.constantFrom('message', 'invoke', 'conversationUpdate', 'installationUpdate', 'messageReaction', 'event', 'typing'),
      edits: fc.array(fc.record({ keys: field, value: fc.anything({ maxDepth: 2 }), del: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    })
    .map(({ type, edits }) => {
      // A valid URL elsewhere would only make the reply fail (a token binds serviceUrl when auth is on): keep it invalid or ours.
      const safe = edits.map((e) => (e.keys[0] === 'serviceUrl' && typeof e.value === 'string' && /^https?:/i.test(e.value) ? { ...e, value: `not a url ${e.value}` } : e));
      const base = activity(ctx, { id: '29:stranger', name: 'S' }, { type, text: '/help', name: type === 'invoke' ? 'adaptiveCard/action' : undefined, membersAdded: type === 'conversationUpdate' ? [{ id: 'bot-id' }] : undefined });
      return { route: 'messages' as const, headers: json, body: JSON.stringify(mutate(base, safe)) };
    });

  const command: fc.Arbitrary<FuzzRequest> = fc
    .record({ cmd: fc.constantFrom(...COMMANDS), words: fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 30 }), fc.constantFrom(ctx.guardedRunId)), { maxLength: 6 }), from: stranger, pad: fc.constantFrom('', ' ', '  \t', '\n') })
    .map(({ cmd, words, from, pad }) => ({ route: 'messages' as const, headers: json, body: JSON.stringify(activity(ctx, from, { type: 'message', text: `${pad}${[cmd, ...words].join(' ')}` })) }));

  const click: fc.Arbitrary<FuzzRequest> = fc
    .record({
      verb: fc.constantFrom(...VERBS),
      data: fc.record({ runId: fc.oneof(fc.constant(ctx.guardedRunId), fc.string({ maxLength: 12 }), fc.anything({ maxDepth: 1 })), cardVersion: fc.oneof(fc.integer(), fc.string(), fc.constant(1)), approvalId: fc.oneof(fc.string(), fc.constant(ctx.guardedRunId)), comment: fc.string({ maxLength: 600 }), model: fc.string({ maxLength: 20 }), extra: fc.anything({ maxDepth: 2 }) }, { requiredKeys: [] }),
      submit: fc.boolean(),
      from: stranger,
    })
    .map(({ verb, data, submit, from }) => {
      // Action.Execute arrives as an invoke; its Action.Submit fallback as a message with a value and no text.
      const extra = submit ? { type: 'message', text: '', value: { ...data, verb }, replyToId: 'card-1' } : { type: 'invoke', name: 'adaptiveCard/action', replyToId: 'card-1', value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' } };
      return { route: 'messages' as const, headers: json, body: JSON.stringify(activity(ctx, from, extra)) };
    });

  const webhook: fc.Arbitrary<FuzzRequest> = fc
    .record({
      example: fc.constantFrom(...ctx.webhookExamples),
      edits: fc.array(fc.record({ keys: fc.constantFrom(['eventType'], ['event_type'], ['resource'], ['resource', 'id'], ['resource', 'run', 'id'], ['resource', 'pipeline', 'id'], ['resource', 'approval'], ['resource', 'approval', 'id'], ['run'], ['run', 'run_id'], ['job'], ['id'], ['resource', 'status'], ['resource', 'result']), value: fc.oneof(fc.anything({ maxDepth: 2 }), fc.integer(), fc.constant(2), fc.constant(1)), del: fc.boolean() }), { maxLength: 4 }),
      withSecret: fc.constantFrom(true, true, true, false),
    })
    .map(({ example, edits, withSecret }) => ({ route: example.route, headers: { ...json, ...(withSecret ? { 'x-webhook-secret': ctx.webhookSecret } : {}) }, body: JSON.stringify(mutate(example.body, edits)) }));

  return { raw, envelope, command, click, webhook };
}
