import type { CloudAdapter, ConversationReference } from 'botbuilder';
import { createNotifier, type Notifier, type NotifierDeps, type OutgoingMessage } from '../../bot/notifier';
import { ServiceError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';
import { authOffAdapter, MockConnector, referenceFor, type RecordedRequest } from '../support/mock-connector';

/** Size budget, 413 handling and mentions of the notifier, over real HTTP against a mock Bot Connector. */
describe('notifier message size and mentions', () => {
  let connector: MockConnector;
  let adapter: CloudAdapter;
  const references = new Map<string, ConversationReference>();
  const logLines: string[] = [];
  const open: Notifier[] = [];
  const CONV = 'a:conv-size';

  const notifier = (options: Partial<NotifierDeps> = {}): Notifier => {
    const n = createNotifier({
      adapter,
      appId: '',
      references: { get: async (id) => references.get(id) },
      logger: createLogger('debug', {}, (line) => logLines.push(line)),
      baseDelayMs: 10,
      ...options,
    });
    open.push(n);
    return n;
  };

  /** A failure card as its builder would make it: header, then the log tail; shrink drops half the log lines. */
  const failureCard = (logLines: string[], counter = { shrinks: 0 }): OutgoingMessage => ({
    summary: 'Run r1 failed at training (Databricks)',
    card: {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'Training failed', weight: 'Bolder' }, ...logLines.map((text) => ({ type: 'TextBlock', text, fontType: 'Monospace' }))],
    },
    shrink: () => {
      counter.shrinks += 1;
      return logLines.length > 1 ? failureCard(logLines.slice(Math.floor(logLines.length / 2)), counter) : undefined;
    },
  });
  const lines = (count: number, width: number): string[] => Array.from({ length: count }, (_, i) => `${String(i).padStart(5, '0')} ${'x'.repeat(width)}`);
  const bodyTexts = (r: RecordedRequest): string[] => {
    const attachments = (r.body.attachments ?? []) as { content: { body: { text: string }[] } }[];
    return attachments[0]?.content.body.map((b) => b.text) ?? [];
  };

  beforeAll(async () => {
    connector = await MockConnector.start();
    adapter = authOffAdapter();
    references.set(CONV, referenceFor(connector, CONV, 'groupChat'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((n) => n.close()));
    connector.reset();
    connector.maxBodyUtf16Bytes = 100 * 1024;
    logLines.length = 0;
  });
  afterAll(async () => connector.close());

  it('shrinks an oversize card (log lines first) and still sends it under the budget', async () => {
    const n = notifier();
    const counter = { shrinks: 0 };
    const all = lines(400, 200); // ~170 KB in UTF-16
    await n.send(CONV, failureCard(all, counter));
    const [sent] = connector.requests;
    expect(sent?.status).toBe(200);
    expect(sent!.utf16Bytes).toBeLessThanOrEqual(80_000);
    const texts = bodyTexts(sent!);
    expect(texts[0]).toBe('Training failed');
    expect(texts[texts.length - 1]).toBe(all[all.length - 1]); // the tail survives
    expect(texts.length - 1).toBeLessThan(all.length);
    expect(n.metrics(CONV)).toMatchObject({ shrinks: counter.shrinks, fallbacks: 0, sends: 1 });
    expect(counter.shrinks).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes('message over the size budget'))).toBe(true);
  });

  it('falls back to the summary as plain text, mentions kept, when nothing smaller fits', async () => {
    const n = notifier();
    const huge: OutgoingMessage = {
      summary: 'Run r1 failed at training (Databricks)',
      card: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: `Owner: <at>Megan Bowen</at> ${'y'.repeat(60_000)}` }] },
      mentions: [{ id: '29:megan', name: 'Megan Bowen' }],
    };
    await n.send(CONV, huge);
    const [sent] = connector.requests;
    expect(sent?.status).toBe(200);
    expect(sent?.body.attachments).toBeUndefined();
    expect(sent?.body.text).toBe('Run r1 failed at training (Databricks) <at>Megan Bowen</at>');
    expect(sent?.body.entities).toEqual([{ type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:megan', name: 'Megan Bowen' } }]);
    expect(n.metrics(CONV).fallbacks).toBe(1);
  });

  it('shrinks and retries once when Teams itself answers 413', async () => {
    const n = notifier();
    connector.maxBodyUtf16Bytes = 40_000; // Teams measuring more than our budget expects
    const counter = { shrinks: 0 };
    await n.send(CONV, failureCard(lines(100, 200), counter)); // ~45 KB: under our 80 KB budget
    expect(connector.requests.map((r) => r.status)).toEqual([413, 200]);
    expect(counter.shrinks).toBe(1);
    expect(bodyTexts(connector.requests[1]!).length).toBeLessThan(bodyTexts(connector.requests[0]!).length);
    expect(n.metrics(CONV).retries).toBe(0);
  });

  it('gives up with a typed 413 error when the smaller message is refused too', async () => {
    const n = notifier();
    connector.fail({ status: 413, count: 5 });
    const err = (await n.send(CONV, failureCard(lines(10, 20))).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'teams', status: 413, code: 'MessageSizeTooBig' });
    expect(connector.requests).toHaveLength(2);
  });

  it('puts text mentions in the activity entities and card mentions in msteams.entities', async () => {
    const n = notifier();
    await n.send(CONV, {
      summary: 'Approval needed',
      text: 'Please approve, <at>Megan Bowen</at>',
      card: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Requested by <at>Alex Wilber</at>' }] },
      mentions: [
        { id: '29:megan', name: 'Megan Bowen' },
        { id: '29:alex', name: 'Alex Wilber' },
        { id: '29:nobody', name: 'Not Named Anywhere' },
      ],
    });
    const body = connector.requests[0]!.body as { entities: unknown[]; attachments: { content: { msteams: { entities: unknown[] } } }[] };
    expect(body.entities).toEqual([{ type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:megan', name: 'Megan Bowen' } }]);
    expect(body.attachments[0]!.content.msteams.entities).toEqual([{ type: 'mention', text: '<at>Alex Wilber</at>', mentioned: { id: '29:alex', name: 'Alex Wilber' } }]);
    expect(logLines.some((l) => l.includes('mention not found'))).toBe(true);
  });
});
