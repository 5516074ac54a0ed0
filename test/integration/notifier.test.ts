import type { CloudAdapter, ConversationReference } from 'botbuilder';
import { createNotifier, type Notifier, type NotifierDeps, type OutgoingMessage } from '../../bot/notifier';
import { ServiceError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';
import { authOffAdapter, MockConnector, referenceFor, type RecordedRequest } from '../support/mock-connector';
import { waitUntil } from '../support/wait';

/** Queueing, coalescing and retries of the notifier, over real HTTP against a mock Bot Connector. */
describe('notifier against a mock Bot Connector', () => {
  let connector: MockConnector;
  let adapter: CloudAdapter;
  const references = new Map<string, ConversationReference>();
  const logLines: string[] = [];
  const turnErrors: Error[] = [];
  const open: Notifier[] = [];

  const notifier = (options: Partial<NotifierDeps> = {}): Notifier => {
    const n = createNotifier({
      adapter,
      appId: '',
      references: { get: async (id) => references.get(id) },
      logger: createLogger('debug', {}, (line) => logLines.push(line)),
      maxRetries: 4,
      baseDelayMs: 10,
      maxDelayMs: 5_000,
      ...options,
    });
    open.push(n);
    return n;
  };
  const card = (state: string): OutgoingMessage => ({
    summary: `Run r1: ${state}`,
    card: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: state, wrap: true }] },
  });
  const stateOf = (r: RecordedRequest): unknown => {
    const attachments = r.body.attachments as { content: { body: { text: string }[] } }[];
    return attachments[0]?.content.body[0]?.text;
  };

  beforeAll(async () => {
    connector = await MockConnector.start();
    adapter = authOffAdapter((err) => turnErrors.push(err));
    for (const id of ['a:conv-a', 'a:conv-b', '19:channel@thread.tacv2;messageid=1']) references.set(id, referenceFor(connector, id));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((n) => n.close()));
    connector.reset();
    logLines.length = 0;
  });
  afterAll(async () => connector.close());

  it('resolves a send with the activity id Teams assigned', async () => {
    const n = notifier();
    const id = await n.send('a:conv-a', card('queued'));
    const [request] = connector.requests;
    expect(id).toMatch(/^activity-\d+$/);
    expect(request).toMatchObject({ method: 'POST', kind: 'send', conversationId: 'a:conv-a', status: 200 });
    expect(request?.body).toMatchObject({ type: 'message', summary: 'Run r1: queued', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
    expect(n.metrics('a:conv-a')).toMatchObject({ sends: 1, attempts: 1, retries: 0 });
  });

  it('updates the card in place with a PUT to the activity id', async () => {
    const n = notifier();
    const id = await n.send('19:channel@thread.tacv2;messageid=1', card('queued'));
    await n.update('19:channel@thread.tacv2;messageid=1', id, card('training'));
    const put = connector.requests.find((r) => r.kind === 'update');
    expect(put).toMatchObject({ method: 'PUT', activityId: id, conversationId: '19:channel@thread.tacv2;messageid=1', status: 200 });
    expect(stateOf(put!)).toBe('training');
  });

  it('folds 20 rapid updates of one card into far fewer PUTs, the last carrying the last state', async () => {
    const n = notifier();
    const id = await n.send('a:conv-a', card('queued'));
    connector.delayMs = () => 40;
    const updates: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      updates.push(n.update('a:conv-a', id, card(`state ${i}`)));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await Promise.all(updates);
    const puts = connector.of('a:conv-a', 'update');
    expect(puts.length).toBeLessThanOrEqual(5);
    expect(stateOf(puts[puts.length - 1]!)).toBe('state 20');
    const order = puts.map((p) => Number(String(stateOf(p)).split(' ')[1]));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(n.metrics('a:conv-a')).toMatchObject({ updates: puts.length, coalesced: 20 - puts.length });
  });

  it('keeps one request in flight per conversation while two conversations proceed in parallel', async () => {
    const n = notifier();
    connector.delayMs = () => 30;
    const sends = [1, 2, 3, 4].flatMap((i) => [n.send('a:conv-a', card(`a${i}`)), n.send('a:conv-b', card(`b${i}`))]);
    await Promise.all(sends);
    expect(connector.maxInFlight.get('a:conv-a')).toBe(1);
    expect(connector.maxInFlight.get('a:conv-b')).toBe(1);
    expect(n.metrics('a:conv-a').maxInFlight).toBe(1);
    // In order within a conversation (FIFO)...
    expect(connector.of('a:conv-a').map(stateOf)).toEqual(['a1', 'a2', 'a3', 'a4']);
    // ...and overlapping across conversations.
    const [a1] = connector.of('a:conv-a');
    const [b1] = connector.of('a:conv-b');
    expect(b1!.receivedAt).toBeLessThan(a1!.respondedAt!);
  });

  it('retries a 429 without Retry-After with jittered backoff and succeeds', async () => {
    const n = notifier();
    connector.fail({ status: 429, count: 2 });
    const id = await n.send('a:conv-a', card('queued'));
    const hits = connector.of('a:conv-a');
    expect(id).toMatch(/^activity-/);
    expect(hits.map((h) => h.status)).toEqual([429, 429, 200]);
    expect(hits[2]!.receivedAt - hits[1]!.respondedAt!).toBeGreaterThanOrEqual(9); // 2nd retry: 10..20 ms
    expect(n.metrics('a:conv-a')).toMatchObject({ retries: 2, attempts: 3, sends: 1, failures: 0 });
  });

  it('waits what Retry-After asks on a 429 while other conversations carry on', async () => {
    const n = notifier();
    // Retry-After: 2 leaves conversation b a wide window to be served in, however loaded the machine.
    connector.fail({ status: 429, retryAfter: '2', conversationId: 'a:conv-a' });
    const slow = n.send('a:conv-a', card('a'));
    await waitUntil('conversation a to back off after its 429', () => n.metrics('a:conv-a').retries === 1);
    await n.send('a:conv-b', card('b'));
    await slow;
    const [first, second] = connector.of('a:conv-a');
    const [other] = connector.of('a:conv-b');
    expect(second!.receivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(1950);
    // Conversation b was served while a waited out its Retry-After, not after it.
    expect(other!.respondedAt!).toBeLessThanOrEqual(second!.receivedAt);
    expect(n.metrics('a:conv-a').retries).toBe(1);
  });

  it('retries a 503 itself (the SDK retry policy is taken off) and succeeds', async () => {
    const n = notifier();
    connector.fail({ status: 503 });
    await n.send('a:conv-a', card('queued'));
    // Two requests and one retry of our own: had the SDK's policy retried too, our count would be 0.
    expect(connector.of('a:conv-a').map((h) => h.status)).toEqual([503, 200]);
    expect(n.metrics('a:conv-a').retries).toBe(1);
  });

  it('gives up after the last retry with a typed teams error and logs it without the payload', async () => {
    const n = notifier({ maxRetries: 3 });
    connector.fail({ status: 429, count: 100 });
    const err = (await n.send('a:conv-a', { ...card('queued'), text: 'secret-ish body text' }).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'teams', operation: 'send', status: 429, code: 'TooManyRequests', retryable: true });
    expect(connector.of('a:conv-a')).toHaveLength(4);
    expect(n.metrics('a:conv-a')).toMatchObject({ retries: 3, failures: 1, sends: 0 });
    const failed = logLines.find((l) => l.includes('"Teams call failed"'));
    expect(failed).toContain('"status":429');
    expect(failed).not.toContain('secret-ish');
    expect(turnErrors).toHaveLength(0);
  });

  it('does not retry 403 MessageWritesBlocked (bot blocked or uninstalled)', async () => {
    const n = notifier();
    connector.fail({ status: 403, code: 'MessageWritesBlocked' });
    await expect(n.send('a:conv-a', card('queued'))).rejects.toMatchObject({ service: 'teams', status: 403, code: 'MessageWritesBlocked', retryable: false });
    expect(connector.of('a:conv-a')).toHaveLength(1);
  });

  it('lets the next job run after one has failed', async () => {
    const n = notifier({ maxRetries: 0 });
    connector.fail({ status: 502 });
    const first = n.send('a:conv-a', card('one')).catch((e: unknown) => e);
    const second = n.send('a:conv-a', card('two'));
    await expect(first).resolves.toBeInstanceOf(ServiceError);
    await expect(second).resolves.toMatch(/^activity-/);
  });

  it('sends the newest state when an update arrives while the previous one backs off', async () => {
    // A backoff of 1 s after the 429: a window wide enough for the second update even on a loaded machine.
    const n = notifier({ baseDelayMs: 1000, random: () => 1 });
    const id = await n.send('a:conv-a', card('queued'));
    connector.fail({ status: 429, kind: 'update' });
    const first = n.update('a:conv-a', id, card('training'));
    // The next update arrives while the first one backs off after its 429.
    // The notifier counts the retry as it starts backing off: that is the moment to send the next one.
    await waitUntil('the first update to back off after its 429', () => n.metrics('a:conv-a').retries === 1);
    const second = n.update('a:conv-a', id, card('registered'));
    await Promise.all([first, second]);
    const puts = connector.of('a:conv-a', 'update');
    expect(puts.map((p) => [p.status, stateOf(p)])).toEqual([
      [429, 'training'],
      [200, 'registered'],
    ]);
  });

  it('refuses an unknown conversation and sends nothing', async () => {
    const n = notifier();
    await expect(n.send('a:never-installed', card('queued'))).rejects.toMatchObject({ service: 'teams', code: 'UnknownConversation' });
    await expect(n.update('a:never-installed', 'activity-1', card('x'))).rejects.toBeInstanceOf(ServiceError);
    expect(connector.requests).toHaveLength(0);
  });

  it('drains every queue and refuses work after close', async () => {
    const n = notifier();
    connector.delayMs = () => 20;
    const pending = [n.send('a:conv-a', card('a')), n.send('a:conv-b', card('b'))];
    await n.close();
    expect(connector.requests.filter((r) => r.status === 200)).toHaveLength(2);
    await Promise.all(pending);
    await expect(n.send('a:conv-a', card('late'))).rejects.toMatchObject({ code: 'NotifierClosed' });
  });
});
