import { helpCard } from '../../cards/help.card';
import { runCard } from '../../cards/run.card';
import { keyWithSeries } from '../../cards/card-memo';
import type { RunCardView } from '../../cards/views';

const view = (over: Partial<RunCardView> = {}): RunCardView => ({
  runId: 'r-7',
  cardVersion: 3,
  model: 'fashion-cnn',
  requester: { name: 'Megan Bowen', mri: '29:1megan' },
  branch: 'main',
  parameters: [{ name: 'lr', value: '0.01' }],
  status: 'running',
  stages: [{ id: 'ci', state: 'running', duration: '2 min' }],
  progressPercent: 10,
  metrics: [{ name: 'loss', points: [{ step: 0, value: 2 }, { step: 1, value: 1.5 }] }],
  canCancel: true,
  canRetry: false,
  updatedAt: '2026-11-29 10:00 UTC',
  ...over,
});

/** Cards built once per view (cards/card-memo.ts, issue 13): same view, same card; any difference, a new one. */
describe('cards built once per view', () => {
  it('gives the card already built for an equal view, and builds another when anything shown differs', () => {
    const first = runCard(view());
    expect(runCard(view())).toBe(first);
    const later = runCard(view({ stages: [{ id: 'ci', state: 'running', duration: '3 min' }] }));
    expect(later).not.toBe(first);
    expect(JSON.stringify(later)).toContain('3 min');
    expect(JSON.stringify(first)).toContain('2 min');
  });

  it('hands out cards nobody can change, so a caller cannot alter what the next one is given', () => {
    const card = runCard(view({ runId: 'r-8' }));
    expect(() => {
      (card as Record<string, unknown>).version = '1.0';
    }).toThrow(TypeError);
    expect(() => (card.body as unknown[]).push({})).toThrow(TypeError);
    expect(runCard(view({ runId: 'r-8' })).version).toBe('1.5');
  });

  it('builds the /help card once for the same commands, and again when they change', () => {
    const commands = [{ usage: '/help [command]', summary: 'Show the commands.' }];
    const card = helpCard({ commands });
    expect(helpCard({ commands: [...commands] })).toBe(card);
    const more = helpCard({ commands: [...commands, { usage: '/status [run]', summary: 'Show a run.' }] });
    expect(more).not.toBe(card);
    expect(JSON.stringify(more)).toContain('Show a run.');
  });

  it('keys a run card view by its points exactly: a card is rebuilt when any point differs, even in its last bit', () => {
    const pts = (values: number[]) => [{ name: 'loss', points: values.map((value, step) => ({ step, value })) }];
    const a = runCard(view({ runId: 'r-9', metrics: pts([2, 1.5, 1.25]) }));
    expect(runCard(view({ runId: 'r-9', metrics: pts([2, 1.5, 1.25]) }))).toBe(a);
    const b = runCard(view({ runId: 'r-9', metrics: pts([2, 1.5, 1.125]) }));
    expect(b).not.toBe(a);
    expect(JSON.stringify(b)).toContain('1.125');
    expect(keyWithSeries(view({ metrics: pts([1, 1]) }))).not.toBe(keyWithSeries(view({ metrics: pts([1, 1 + Number.EPSILON]) })));
    expect(keyWithSeries(view({ metrics: pts([1, 2]) }))).toBe(keyWithSeries(view({ metrics: pts([1, 2]) })));
  });

  it('tells apart series that hold the same points split differently, named or aimed differently', () => {
    const p = (step: number) => ({ step, value: step / 3 });
    const key = (metrics: RunCardView['metrics']) => keyWithSeries(view({ metrics }));
    const keys = [
      key([{ name: 'a', points: [p(1), p(2)] }, { name: 'b', points: [p(3)] }]),
      key([{ name: 'a', points: [p(1)] }, { name: 'b', points: [p(2), p(3)] }]),
      key([{ name: 'a', points: [p(1), p(2)] }, { name: 'c', points: [p(3)] }]),
      key([{ name: 'a', points: [p(1), p(2)], goal: 'max' }, { name: 'b', points: [p(3)] }]),
    ];
    expect(new Set(keys).size).toBe(4);
  });

  it('falls back to the JSON of the whole view for a point that is not two numbers', () => {
    const odd = view({ metrics: [{ name: 'loss', points: [{ step: 0, value: null as unknown as number }] }] });
    expect(keyWithSeries(odd)).toBe(JSON.stringify(odd));
    const zero = view({ metrics: [{ name: 'loss', points: [{ step: 0, value: 0 }] }] });
    expect(keyWithSeries(zero)).not.toBe(keyWithSeries(odd));
  });
});
