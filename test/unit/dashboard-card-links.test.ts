import { approvalCard } from '../../cards/approval.card';
import { failureCard } from '../../cards/failure.card';
import type { RunRecord } from '../../services/workflow/run.types';
import { RunCardWriter } from '../../bot/run-card.writer';
import { approvalCardView, failureCardView } from '../../bot/views/run-views';
import { dashboardLink } from '../../bot/dashboard/deep-link';
import { SqliteStore } from '../../services/store/sqlite.store';
import { newTrainRun } from '../../services/workflow/run-factory';
import { validateCard } from '../support/card-schema';
import { sandboxConfig } from '../support/context';

const LINK = (runId: string): string => dashboardLink({ kind: 'teams', appId: 'fe4a8eba-2a31-4737-8e33-e5fae6fee194' }, runId);

/** Every action of a card, wherever it is (fallbacks and refresh excluded). */
function openUrls(card: unknown): Array<{ title?: string; url?: string }> {
  const found: Array<{ title?: string; url?: string }> = [];
  const walk = (node: unknown, key: string): void => {
    if (Array.isArray(node)) node.forEach((n) => walk(n, key));
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'Action.OpenUrl' && key === 'actions') found.push(o);
      for (const [k, v] of Object.entries(o)) if (k !== 'fallback' && k !== 'refresh') walk(v, k);
    }
  };
  walk(card, '');
  return found;
}

/**
 * "Open in dashboard" on the run, approval and failure cards: the writer that owns the run card
 * gives the one link of a run to all three, and each card shows it as an Action.OpenUrl.
 */
describe('Open in dashboard on the cards', () => {
  const config = sandboxConfig();
  const model = config.mlops.models['fashion-cnn']!;
  const now = Date.parse('2026-11-29T10:00:00Z');
  const base = newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-0', name: 'Alex Wilber' }, conversationId: 'c' }, model, now).run;
  const run: RunRecord = { ...base, id: 'r-42', version: 3 };
  const store = new SqliteStore(':memory:');
  afterAll(() => store.close());

  it('is on the run card the writer builds, and the writer hands the same link to the other cards', async () => {
    const writer = new RunCardWriter({ runs: store.runs, models: config.mlops.models, now: () => now, dashboardLink: LINK });
    const card = await writer.card(run);
    expect(openUrls(card)).toContainEqual({ type: 'Action.OpenUrl', title: 'Open in dashboard', url: LINK('r-42') });
    expect(writer.dashboardUrl('r-42')).toEqual({ dashboardUrl: LINK('r-42') });
    const without = new RunCardWriter({ runs: store.runs, models: config.mlops.models, now: () => now });
    expect(openUrls(await without.card(run)).map((a) => a.title)).not.toContain('Open in dashboard');
    expect(without.dashboardUrl('r-42')).toEqual({});
  });

  it('is built once per run, and asked for again while there is none yet (the sandbox before it listens)', () => {
    let listening = false;
    const asked: string[] = [];
    const writer = new RunCardWriter({
      runs: store.runs,
      now: () => now,
      dashboardLink: (runId) => {
        asked.push(runId);
        return listening ? LINK(runId) : undefined;
      },
    });
    expect(writer.dashboardUrl('r-1')).toEqual({});
    listening = true;
    expect(writer.dashboardUrl('r-1')).toEqual({ dashboardUrl: LINK('r-1') });
    expect(writer.dashboardUrl('r-1')).toEqual({ dashboardUrl: LINK('r-1') });
    expect(writer.dashboardUrl('r-2')).toEqual({ dashboardUrl: LINK('r-2') });
    expect(asked).toEqual(['r-1', 'r-1', 'r-2']);
  });

  it('is on the approval and failure cards when their view carries it, and they still validate', () => {
    const waiting: RunRecord = { ...run, status: 'waiting_approval', registered: { version: '7' }, approval: { required: 1, expiresAt: '2026-11-30T10:00:00Z', decisions: [], state: 'pending' } };
    const approval = approvalCard({ ...approvalCardView(waiting, { approvers: [], canAct: true }), dashboardUrl: LINK('r-42') });
    const failed: RunRecord = { ...run, status: 'failed', failure: { stage: 'training', system: 'Databricks', message: 'boom', logTail: ['a', 'b'] } };
    const failure = failureCard({ ...failureCardView(failed)!, dashboardUrl: LINK('r-42') });
    for (const card of [approval, failure]) {
      expect(openUrls(card)).toContainEqual({ type: 'Action.OpenUrl', title: 'Open in dashboard', url: LINK('r-42') });
      const { msteams: _m, ...rest } = card as unknown as Record<string, unknown>;
      expect(validateCard(rest)).toEqual([]);
    }
    // Only http(s) links become buttons (safeUrl), as for every other link on the cards.
    expect(openUrls(failureCard({ ...failureCardView(failed)!, dashboardUrl: 'javascript:alert(1)' })).map((a) => a.title)).not.toContain('Open in dashboard');
  });
});
