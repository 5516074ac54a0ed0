import { conversationChanged } from '../../bot/conversation-change';
import type { ConversationRecord } from '../../services/store/store';

const reference = (activityId: string, user = '29:megan') => ({
  activityId, channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/emea/', locale: 'en-US', bot: { id: '28:bot', name: 'bot' },
  user: { id: user, name: 'Megan Bowen', aadObjectId: undefined }, conversation: { id: 'a:1', conversationType: 'personal', isGroup: false },
});
const record = (over: Partial<ConversationRecord> = {}): ConversationRecord => ({
  conversationId: 'a:1', conversationType: 'personal', reference: reference('m-1'), installedBy: 'aad-megan', updatedAt: '2026-11-26T10:00:00.000Z', ...over,
});
/** As the store gives it back: through JSON. */
const stored = (r: ConversationRecord): ConversationRecord => JSON.parse(JSON.stringify(r)) as ConversationRecord;

describe('whether a turn must write its conversation', () => {
  it('writes an unknown conversation', () => {
    expect(conversationChanged(undefined, record())).toBe(true);
  });

  it('skips a turn that only brings a new message id and time', () => {
    expect(conversationChanged(stored(record()), record({ reference: reference('m-2'), updatedAt: '2026-11-26T11:00:00.000Z' }))).toBe(false);
  });

  it('writes when the sender, installer, type or service URL changed', () => {
    const known = stored(record());
    expect(conversationChanged(known, record({ reference: reference('m-2', '29:alex') }))).toBe(true);
    expect(conversationChanged(known, record({ installedBy: 'aad-alex' }))).toBe(true);
    expect(conversationChanged(known, record({ conversationType: 'groupChat' }))).toBe(true);
    expect(conversationChanged(known, record({ reference: { ...reference('m-2'), serviceUrl: 'https://smba.trafficmanager.net/amer/' } }))).toBe(true);
  });

  it('keeps the stored installer when the turn names none, as the store does', () => {
    expect(conversationChanged(stored(record()), record({ installedBy: undefined }))).toBe(false);
  });

  it('reads a stored reference whose keys come in another order as changed (one write), never the reverse', () => {
    const { activityId, ...rest } = reference('m-1');
    const reordered = stored(record({ reference: { ...Object.fromEntries(Object.entries(rest).reverse()), activityId } }));
    expect(conversationChanged(reordered, record({ reference: reference('m-2') }))).toBe(true);
    expect(conversationChanged(stored(record({ reference: reference('m-2') })), record({ reference: reference('m-3') }))).toBe(false);
  });

  it('ignores fields the stored copy lost in JSON (undefined) and tells a nested change', () => {
    expect(conversationChanged(stored(record()), record({ reference: { ...reference('m-2'), locale: undefined, extra: undefined } }))).toBe(true);
    expect(conversationChanged(stored(record()), record({ reference: { ...reference('m-2'), extra: undefined } }))).toBe(false);
    expect(conversationChanged(stored(record()), record({ reference: { ...reference('m-2'), bot: { id: '28:bot', name: 'other' } } }))).toBe(true);
  });
});

