import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { approvalCard } from '../../cards/approval.card';
import { CARD_VERBS, INPUT, parseCardAction } from '../../cards/card-actions';
import { failureCard } from '../../cards/failure.card';
import { listCard } from '../../cards/list.card';
import { runCard } from '../../cards/run.card';
import { trainFormCard } from '../../cards/train-form.card';
import {
  STAGES,
  downsample,
  trimToBudget,
  type ApprovalCardView,
  type ApprovalState,
  type FailureCardView,
  type MetricSeries,
  type RunCardView,
  type RunStatus,
  type StageState,
  type StageView,
  type TrainFormView,
} from '../../cards/views';
import { browserAvailable, launchChromium } from '../support/browser';
import { asSeenBy15, cardSizeBytes, validateCard } from '../support/card-schema';

function findElement(node: unknown, type: string): unknown {
  if (Array.isArray(node)) return node.map((n) => findElement(n, type)).find((x) => x !== undefined);
  if (!node || typeof node !== 'object') return undefined;
  if ((node as { type?: unknown }).type === type) return node;
  return Object.values(node as Record<string, unknown>).map((v) => findElement(v, type)).find((x) => x !== undefined);
}
import { REPO_ROOT } from '../support/context';

const MEGAN = { name: 'Megan Bowen', mri: '29:1megan' };
const ALEX = { name: 'Alex Wilber', mri: '29:1alex' };
const LEE = { name: 'Lee Gu', mri: '29:1lee' };
const EVIL = '[click](https://evil.example) **bold** <at>Alex Wilber</at> ${secret}';

function series(name: string, n: number, f: (i: number) => number): MetricSeries {
  return { name, points: Array.from({ length: n }, (_, i) => ({ step: (i + 1) * 10, value: f(i) })) };
}

const METRICS = [series('loss', 100, (i) => 2.3 * Math.exp(-i / 25) + 0.3 + 0.05 * Math.sin(i)), series('val_accuracy', 100, (i) => 0.93 - 0.6 * Math.exp(-i / 20))];

/** Stage states implied by a run status: earlier stages done, the current one in the given state. */
function stagesFor(status: RunStatus, current = 1, currentState?: StageState): StageView[] {
  const at: Record<RunStatus, [number, StageState]> = {
    running: [current, currentState ?? 'running'],
    waiting_approval: [3, 'waiting'],
    succeeded: [6, 'succeeded'],
    failed: [current, 'failed'],
    canceled: [current, 'canceled'],
    expired: [3, 'expired'],
  };
  const [index, state] = at[status];
  return STAGES.map((s, i) => ({
    id: s.id,
    state: i < index ? 'succeeded' : i === index ? state : status === 'succeeded' ? 'succeeded' : 'pending',
    ...(i <= index ? { duration: `${i + 1}m ${(i * 17) % 60}s` } : {}),
    ...(s.id === 'ci' ? { detail: 'pipeline 12 · build 20250601.3', url: 'https://dev.azure.com/contoso/mlops/_build/results?buildId=812' } : {}),
    ...(s.id === 'training' ? { detail: 'runtime 16.4.x-cpu-ml-scala2.13 · task 2 of 3', url: 'https://adb-123.azuredatabricks.net/#job/7/run/99' } : {}),
    ...(s.id === 'registered' && i < index ? { detail: 'version 7' } : {}),
    ...(s.id === 'deploy' && status === 'running' && i === index ? { detail: 'waiting for run r-41 to finish deploying' } : {}),
  }));
}

function runView(over: Partial<RunCardView> = {}): RunCardView {
  const status = over.status ?? 'running';
  return {
    runId: 'r-42',
    cardVersion: 5,
    model: 'fashion-cnn',
    requester: MEGAN,
    branch: 'main',
    parameters: [
      { name: 'lr', value: '0.01' },
      { name: 'epochs', value: '5' },
      { name: 'batch_size', value: '64' },
    ],
    status,
    stages: stagesFor(status),
    progressPercent: { running: 30, waiting_approval: 50, succeeded: 100, failed: 30, canceled: 30, expired: 50 }[status],
    metrics: METRICS,
    logsUrl: 'https://dev.azure.com/contoso/mlops/_build/results?buildId=812&view=logs',
    canCancel: true,
    canRetry: true,
    updatedAt: '2025-06-01 10:42 UTC',
    ...(status === 'succeeded' ? { modelVersion: '7', scoringUri: 'http://fashion-cnn-r-42.westeurope.azurecontainer.io/score' } : {}),
    ...over,
  };
}

function approvalView(over: Partial<ApprovalCardView> = {}): ApprovalCardView {
  return {
    runId: 'r-42',
    approvalId: 'ap-9',
    cardVersion: 2,
    model: 'fashion-cnn',
    version: '7',
    target: 'production \u00b7 ACI container group fashion-cnn-prod',
    productionVersion: '6',
    metrics: [
      { name: 'val_accuracy', candidate: 0.9132, production: 0.9011 },
      { name: 'val_loss', candidate: 0.2514, production: 0.2731 },
      { name: 'latency_ms_p95', candidate: 41, production: 38 },
    ],
    commit: { sha: '3f9c2d1e8a7b6c5d4e3f', message: 'Add dropout to the last block', url: 'https://dev.azure.com/contoso/mlops/_git/models/commit/3f9c2d1e' },
    requester: MEGAN,
    expiresAt: '2025-06-02 10:42 UTC',
    requiredApprovals: 2,
    decisions: [{ by: ALEX, decision: 'approved', comment: 'Accuracy up, latency within budget.', at: '2025-06-01 11:02 UTC' }],
    state: 'pending',
    canAct: true,
    approvers: [ALEX, LEE],
    ...over,
  };
}

const LOG = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => (i === n - 1 ? 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total)' : `2025-06-01 10:4${i % 10}:0${i % 6} INFO  [train.py:${80 + i}] epoch ${1 + (i % 5)} step ${i * 10} loss=${(2 / (i + 1)).toFixed(4)} __init__ *args`));

function failureView(over: Partial<FailureCardView> = {}): FailureCardView {
  return {
    runId: 'r-42',
    cardVersion: 6,
    model: 'fashion-cnn',
    stage: 'training',
    error: 'The Databricks run ended with state FAILED: the training task ran out of GPU memory.',
    logLines: LOG(20),
    requester: MEGAN,
    logsUrl: 'https://adb-123.azuredatabricks.net/#job/7/run/99',
    failedAt: '2025-06-01 10:48 UTC',
    canRetry: true,
    canCancel: true,
    ...over,
  };
}

function trainView(over: Partial<TrainFormView> = {}): TrainFormView {
  return {
    cardVersion: 0,
    models: [{ id: 'fashion-cnn' }, { id: 'churn-xgb' }],
    model: 'fashion-cnn',
    branch: 'main',
    environments: [{ name: 'staging', approvals: 0 }, { name: 'production', approvals: 1 }],
    parameters: [
      { name: 'lr', type: 'number', description: 'learning rate', required: true, min: 0.0001, max: 1, default: 0.01 },
      { name: 'epochs', type: 'integer', description: 'passes over the data', required: true, min: 1, max: 50, default: 5 },
      { name: 'optimizer', type: 'enum', required: true, choices: ['adam', 'sgd', 'adamw'], default: 'adam' },
      { name: 'augment', type: 'boolean', description: 'Random flips and crops', required: false, default: true },
      { name: 'note', type: 'string', description: 'free text for the run', required: false },
    ],
    ...over,
  };
}

/** Every card in every state it can be in, generated from the state spaces. */
function everyCard(): Array<[string, Record<string, unknown>]> {
  const cards: Array<[string, Record<string, unknown>]> = [];
  const statuses: RunStatus[] = ['running', 'waiting_approval', 'succeeded', 'failed', 'canceled', 'expired'];
  for (const status of statuses) {
    for (const metrics of [METRICS, []]) {
      for (const links of [true, false]) {
        const stages = stagesFor(status).map((s) => (links ? s : { ...s, url: undefined }));
        cards.push([`run ${status} metrics=${metrics.length} links=${links}`, runCard(runView({ status, metrics, stages, ...(links ? {} : { logsUrl: undefined }) }))]);
      }
    }
  }
  const stageStates: StageState[] = ['pending', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'canceled', 'expired'];
  for (const state of stageStates) cards.push([`run with a stage ${state}`, runCard(runView({ stages: stagesFor('running', 4, state) }))]);
  cards.push(['run with environments and a promotion', runCard(runView({ status: 'succeeded', environments: [{ name: 'staging', version: '7', scoringUri: 'http://s.example/score', note: 'this run' }, { name: 'production' }], promote: { version: '7', env: 'production' } }))]);
  cards.push(['run deployed without scoring URI', runCard(runView({ status: 'succeeded', scoringUri: undefined }))]);
  cards.push(['run with no parameters or stages yet', runCard(runView({ parameters: [], stages: [], progressPercent: 0, metrics: [series('loss', 0, () => 0)] }))]);
  const approvalStates: ApprovalState[] = ['pending', 'approved', 'rejected', 'expired', 'stale'];
  for (const state of approvalStates) {
    for (const canAct of [true, false]) {
      cards.push([`approval ${state} canAct=${canAct}`, approvalCard(approvalView({ state, canAct, ...(state === 'stale' ? { staleReason: 'run r-42 was canceled by Lee Gu' } : {}) }))]);
    }
  }
  cards.push(['approval, nothing in production', approvalCard(approvalView({ productionVersion: undefined, metrics: [{ name: 'acc', candidate: 0.9 }], decisions: [] }))]);
  for (const n of [0, 20, 200]) cards.push([`failure with ${n} log lines`, failureCard(failureView({ logLines: LOG(n) }))]);
  cards.push(['failure without actions or links', failureCard(failureView({ canRetry: false, canCancel: false, logsUrl: undefined, requester: { name: 'Guest' } }))]);
  cards.push(['train form', trainFormCard(trainView())]);
  cards.push(['train form, one model, no parameters', trainFormCard(trainView({ models: [{ id: 'fashion-cnn' }], parameters: [] }))]);
  cards.push(['train form with errors', trainFormCard(trainView({ fieldErrors: { lr: 'lr must be a number from 0.0001 to 1', branch: 'branch must be a git branch name' }, values: { lr: 'fast', branch: 'a..b' } }))]);
  cards.push(['list empty', listCard({ title: 'Runs', rows: [], emptyText: 'No runs yet. Start one with /train.' })]);
  cards.push(['list', listCard({ title: 'Runs of fashion-cnn', subtitle: 'most recent first', rows: [{ title: 'r-42', status: '\u23f3 running', facts: [{ title: 'Stage', value: 'Training' }], url: 'https://example.com/r/42' }], emptyText: 'none', footer: 'Use /status <run> for details.' })]);
  return cards;
}

/**
 * The AC 1.5 schema allows no property it does not define at the card root, so Teams' `msteams`
 * (mention entities) is checked here on its own and the rest against the schema.
 */
function schemaErrors(card: Record<string, unknown>): string[] {
  const { msteams, ...rest } = card;
  const errors = validateCard(rest);
  if (msteams !== undefined) {
    const entities = (msteams as { entities?: unknown }).entities;
    if (!Array.isArray(entities) || entities.length === 0) errors.push('msteams.entities must be a non-empty array');
    const text = JSON.stringify(rest.body);
    for (const e of (entities ?? []) as Array<{ type?: string; text?: string; mentioned?: { id?: string; name?: string } }>) {
      if (e.type !== 'mention' || !e.text || !e.mentioned?.id || !e.mentioned.name) errors.push(`bad mention entity ${JSON.stringify(e)}`);
      if (e.text && !text.includes(JSON.stringify(e.text).slice(1, -1))) errors.push(`mention ${e.text} not in the card text`);
    }
  }
  return errors;
}

/** Every action of the card, wherever it is (ActionSets, refresh, fallbacks excluded). */
function actionsOf(card: unknown): Array<{ type: string; title?: string; verb?: string; data?: Record<string, unknown> }> {
  const found: Array<{ type: string; title?: string; verb?: string }> = [];
  const walk = (node: unknown, key: string): void => {
    if (Array.isArray(node)) node.forEach((n) => walk(n, key));
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.type === 'string' && o.type.startsWith('Action.') && key === 'actions') found.push(o as { type: string });
      for (const [k, v] of Object.entries(o)) if (k !== 'fallback' && k !== 'refresh') walk(v, k);
    }
  };
  walk(card, '');
  return found;
}

/** Verbs of the Action.Execute buttons and titles of the links (the log toggle is not an action on the run). */
const verbs = (card: unknown): string[] =>
  actionsOf(card)
    .filter((a) => a.type !== 'Action.ToggleVisibility')
    .map((a) => a.verb ?? a.title ?? a.type);

describe('workflow cards', () => {
  const cards = everyCard();

  it('validates every state of every card against the Adaptive Card 1.5 schema', () => {
    expect(cards.length).toBeGreaterThan(50);
    for (const [name, card] of cards) {
      expect({ name, errors: schemaErrors(card) }).toEqual({ name, errors: [] });
      expect(card.version).toBe('1.5');
      expect({ name, unexpanded: JSON.stringify(card).match(/"[^"]*\$\{[a-zA-Z.$]+\}[^"]*"/g) }).toEqual({ name, unexpanded: null });
    }
  });

  it('stays under 40 KB (UTF-16) with 200 log lines and 100 metric points per series', () => {
    const long = 'x'.repeat(2000);
    const huge = [
      runCard(runView({ metrics: Array.from({ length: 8 }, (_, k) => series(`m${k}`, 100, (i) => i * k)), parameters: Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, value: long })) })),
      failureCard(failureView({ logLines: Array.from({ length: 200 }, () => long), error: long })),
      approvalCard(approvalView({ approvers: Array.from({ length: 80 }, (_, i) => ({ name: `Approver ${i} ${long}`, mri: `29:${i}` })) })),
      listCard({ title: 'Audit', rows: Array.from({ length: 200 }, (_, i) => ({ title: `entry ${i}`, facts: Array.from({ length: 12 }, () => ({ title: 'f', value: long })) })), emptyText: '' }),
    ];
    for (const card of huge) {
      expect(cardSizeBytes(card)).toBeLessThan(40_000);
      expect(schemaErrors(card)).toEqual([]);
    }
    for (const [name, card] of cards) expect({ name, small: cardSizeBytes(card) < 40_000 }).toEqual({ name, small: true });
  });

  it('shows the last 20 log lines of a long log and says how many earlier lines were omitted', () => {
    const text = JSON.stringify(failureCard(failureView({ logLines: LOG(200) })));
    expect(text).toContain('180 earlier lines omitted');
    expect(text).toContain('CUDA out of memory');
    expect(text).toContain('Show the last 20 log lines');
    expect(text).not.toContain('step 1790');
    expect(JSON.stringify(failureCard(failureView({ logLines: [] })))).toContain('No log output');
  });

  it('trims log lines first, then metric points, to fit a budget', () => {
    const view = { logLines: Array.from({ length: 64 }, (_, i) => `line ${i} ${'y'.repeat(200)}`), metrics: [series('loss', 100, (i) => i)] };
    let last = view;
    const card = trimToBudget(view, (v) => ((last = v), { lines: v.logLines, metrics: v.metrics }), 6000);
    expect(cardSizeBytes(card)).toBeLessThanOrEqual(6000);
    expect(last.logLines.length).toBeGreaterThan(0);
    expect(last.logLines[last.logLines.length - 1]).toContain('line 63');
    expect((last as { omittedLogLines?: number }).omittedLogLines).toBe(64 - last.logLines.length);
    expect(last.metrics[0]?.points).toHaveLength(100);
    let trimmed = view;
    trimToBudget(view, (v) => ((trimmed = v), { metrics: v.metrics, lines: v.logLines }), 2000);
    expect(trimmed.logLines).toHaveLength(0);
    expect(trimmed.metrics[0]?.points.length ?? 0).toBeLessThan(100);
  });

  it('downsamples metric points evenly, keeping the first and the last', () => {
    const pts = Array.from({ length: 100 }, (_, i) => i);
    const d = downsample(pts, 10);
    expect(d).toHaveLength(10);
    expect(d[0]).toBe(0);
    expect(d[9]).toBe(99);
    expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });

  it('draws the metrics as a Chart.Line for Teams, with a FactSet of last and best values as its fallback', () => {
    const card = runCard(runView());
    const text = JSON.stringify(card);
    expect(text).toContain('Training metrics');
    const chart = findElement(card, 'Chart.Line') as { data: { legend: string; values: { x: string; y: number }[] }[]; fallback: { type: string } } | undefined;
    expect(chart).toBeDefined();
    expect(chart?.data.map((d) => d.legend)).toEqual(['loss', 'val_accuracy']);
    expect(chart?.data[0]?.values.length).toBeLessThanOrEqual(24);
    expect(chart?.data[0]?.values[0]).toEqual({ x: expect.any(String) as string, y: expect.any(Number) as number });
    expect(chart?.fallback.type).toBe('FactSet');
    expect(JSON.stringify(chart?.fallback)).toMatch(/"title":"loss","value":"\*\*0\.\d+\*\* \(best 0\.\d+ at step \d+\) {2}[▁▂▃▄▅▆▇█]{12}"/);
    // A 1.5 renderer (and the schema) sees the FactSet; Teams sees the chart.
    expect(JSON.stringify(asSeenBy15(card))).not.toContain('Chart.Line');
  });

  it('escapes user text so it cannot inject Markdown, template syntax or a mention', () => {
    const run = JSON.stringify(runCard(runView({ model: EVIL, branch: EVIL, parameters: [{ name: 'p', value: EVIL }], requester: { name: EVIL } })));
    const approval = JSON.stringify(approvalCard(approvalView({ decisions: [{ by: LEE, decision: 'rejected', comment: EVIL, at: 'now' }], commit: { sha: 'abc', message: EVIL } })));
    const failure = JSON.stringify(failureCard(failureView({ error: EVIL, logLines: [EVIL, '- list item', '1. ordered'] })));
    for (const text of [run, approval, failure]) {
      expect(text).not.toContain('[click](');
      expect(text).not.toContain('**bold**');
      expect(text).not.toContain('${secret}');
      expect(text).toContain('\\\\[click\\\\]\\\\(https://evil.example\\\\)');
      expect(text).toContain('\u2039at\u203aAlex Wilber\u2039/at\u203a');
    }
    expect(failure).toContain('\\\\- list item');
    expect(failure).toContain('1\\\\. ordered');
  });

  it('mentions the approvers and the requester with <at> text that matches the entities exactly', () => {
    const card = approvalCard(approvalView({ approvers: [ALEX, { name: 'Ann_O (Ops)', mri: '29:ann' }, { name: 'No Mri' }] }));
    const entities = (card.msteams as { entities: Array<{ text: string; mentioned: { id: string; name: string } }> }).entities;
    expect(entities.map((e) => e.mentioned.id).sort()).toEqual(['29:1alex', '29:1megan', '29:ann']);
    const ann = entities.find((e) => e.mentioned.id === '29:ann');
    expect(ann).toEqual({ type: 'mention', text: '<at>Ann\\_O \\(Ops\\)</at>', mentioned: { id: '29:ann', name: 'Ann_O (Ops)' } });
    const approvers = JSON.stringify(card.body).match(/Approvers: [^"]*/)?.[0];
    expect(approvers).toBe('Approvers: <at>Alex Wilber</at>, <at>Ann\\\\_O \\\\(Ops\\\\)</at>, No Mri');
    const failure = failureCard(failureView());
    expect(failure.msteams).toEqual({ entities: [{ type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:1megan', name: 'Megan Bowen' } }] });
    expect(JSON.stringify(failure.body)).toContain('<at>Megan Bowen</at>, your run stopped');
  });

  it('refreshes the approval card for the approvers only (at most 60) while it is pending', () => {
    const many = Array.from({ length: 75 }, (_, i) => ({ name: `A${i}`, mri: `29:a${i}` }));
    const card = approvalCard(approvalView({ canAct: false, approvers: many }));
    const refresh = card.refresh as { action: { type: string; verb: string; data: unknown }; userIds: string[] };
    expect(refresh.action).toEqual({ type: 'Action.Execute', title: 'Refresh', verb: 'refreshApproval', data: { runId: 'r-42', approvalId: 'ap-9', cardVersion: 2 } });
    expect(refresh.userIds).toHaveLength(60);
    expect(refresh.userIds[0]).toBe('29:a0');
    expect(approvalCard(approvalView({ state: 'approved' })).refresh).toBeUndefined();
  });

  it('offers Approve and Reject with a comment only to an approver of a pending approval', () => {
    for (const state of ['pending', 'approved', 'rejected', 'expired', 'stale'] as const) {
      for (const canAct of [true, false]) {
        const card = approvalCard(approvalView({ state, canAct }));
        const acting = state === 'pending' && canAct;
        expect({ state, canAct, verbs: verbs(card) }).toEqual({ state, canAct, verbs: acting ? ['approve', 'reject', 'View commit'] : ['View commit'] });
        expect(JSON.stringify(card).includes('"Input.Text"')).toBe(acting);
      }
    }
    expect(JSON.stringify(approvalCard(approvalView({ state: 'rejected', decisions: [{ by: LEE, decision: 'rejected', at: '11:05' }] })))).toContain('Rejected by Lee Gu at 11:05');
  });

  it('offers Cancel only on an active run and Retry only after a failure', () => {
    const expected: Record<RunStatus, string[]> = {
      running: ['cancelRun', 'Open logs'],
      waiting_approval: ['cancelRun', 'Open logs'],
      succeeded: ['Open logs'],
      failed: ['retryRun', 'Open logs'],
      canceled: ['Open logs'],
      expired: ['Open logs'],
    };
    for (const [status, want] of Object.entries(expected) as Array<[RunStatus, string[]]>) {
      expect({ status, verbs: verbs(runCard(runView({ status }))) }).toEqual({ status, verbs: want });
    }
    expect(verbs(runCard(runView({ canCancel: false })))).toEqual(['Open logs']);
    expect(runCard(runView({ status: 'succeeded' })).refresh).toBeUndefined();
    expect(JSON.stringify(runCard(runView({ status: 'succeeded' })))).toContain('fashion-cnn-r-42.westeurope.azurecontainer.io/score');
    expect(verbs(failureCard(failureView()))).toEqual(['retryRun', 'cancelRun', 'Open logs']);
    expect(verbs(failureCard(failureView({ canRetry: false, canCancel: false, logsUrl: undefined })))).toEqual([]);
  });

  it('shows every environment with its version and URI, and the Promote button, within the 1.5 schema', () => {
    const environments = [
      { name: 'staging', version: '7', scoringUri: 'http://staging.example/score', note: 'this run' },
      { name: 'production', version: '6', scoringUri: 'https://prod.example/score' },
    ];
    const card = runCard(runView({ status: 'succeeded', environments, promote: { version: '7', env: 'production' } }));
    expect(schemaErrors(card)).toEqual([]);
    expect(verbs(card)).toEqual(['promoteRun', 'Open logs']);
    const text = JSON.stringify(card);
    expect(text).toContain('Promote v7 to production');
    expect(text).toContain('"title":"staging","value":"**v7** · this run · http://staging.example/score"');
    expect(text).toContain('"title":"production","value":"**v6** · https://prod.example/score"');
    // One environment: the deployed box says it all, no environment list.
    expect(JSON.stringify(runCard(runView({ status: 'succeeded', environments: [environments[1]!] })))).not.toContain('Environments');
  });

  it('gives every Action.Execute an Action.Submit fallback that carries the verb', () => {
    for (const [name, card] of cards) {
      for (const a of actionsOf(card).filter((x) => x.type === 'Action.Execute')) {
        const fb = (a as { fallback?: { type: string; data: Record<string, unknown> } }).fallback;
        expect({ name, fallback: fb?.type, verb: fb?.data.verb }).toEqual({ name, fallback: 'Action.Submit', verb: a.verb });
        expect({ name, parsed: parseCardAction(undefined, { [INPUT.branch]: 'main', ...fb?.data }) }).toMatchObject({ name, parsed: { ok: true } });
      }
    }
  });

  it('says in the train form what a run will deploy where, and which approvals each environment needs', () => {
    const intro = (environments: TrainFormView['environments']): string => JSON.stringify(trainFormCard(trainView({ environments })));
    expect(intro([{ name: 'staging', approvals: 0 }, { name: 'production', approvals: 1 }])).toContain('then deploys it to staging (no approval); promoting it to production needs 1 approval.');
    expect(intro([{ name: 'production', approvals: 2 }])).toContain('then deploys it to production (2 approvals).');
    expect(intro([])).toContain('registers the model in MLflow.');
  });

  it('names on the approval card where the run deploys, and the branch or commit and source run it comes from', () => {
    const facts = (over: Partial<ApprovalCardView>): string => JSON.stringify(approvalCard(approvalView(over)));
    const promoted = facts({ commit: undefined, branch: 'main', promotedFrom: 'r-1' });
    expect(promoted).toContain('{"title":"Target","value":"production \u00b7 ACI container group fashion-cnn-prod"}');
    expect(promoted).toContain('{"title":"Promoted from","value":"run r-1"}');
    expect(promoted).toContain('{"title":"Branch","value":"main"}');
    expect(promoted).not.toContain('"title":"Commit"');
    expect(promoted).not.toContain('View commit');
    const built = facts({});
    expect(built).toContain('{"title":"Commit","value":"[3f9c2d1e8a](https://dev.azure.com/contoso/mlops/_git/models/commit/3f9c2d1e) Add dropout to the last block"}');
    expect(built).not.toContain('"title":"Branch"');
    expect(built).not.toContain('Promoted from');
  });

  it('writes the form\'s labels and choices verbatim (inputs are not Markdown), with tags still defused', () => {
    const card = JSON.stringify(trainFormCard(trainView({ parameters: [
      { name: 'batch_size', type: 'integer', description: 'mini-batch *size* <at>Megan</at>', required: true },
      { name: 'opt_name', type: 'enum', required: true, choices: ['adam_w', 'sgd'] },
    ] })));
    expect(card).toContain('"label":"batch_size \u2014 mini-batch *size* \u2039at\u203aMegan\u2039/at\u203a"');
    expect(card).toContain('{"title":"adam_w","value":"adam_w"}');
    expect(card).not.toContain('\\\\_');
  });

  it('builds the train form from declared parameters, with bounds, required flags and errors', () => {
    const card = trainFormCard(trainView({ fieldErrors: { lr: 'lr must be a number from 0.0001 to 1' }, values: { lr: 'fast' } }));
    const text = JSON.stringify(card);
    expect(text).toContain('"type":"Input.Number","id":"param.lr","label":"lr — learning rate","isRequired":true,"min":0.0001,"max":1');
    expect(text).toContain('"type":"Input.ChoiceSet","id":"param.optimizer"');
    expect(text).toContain('"type":"Input.Toggle","id":"param.augment"');
    expect(text).toContain('lr must be a number from 0.0001 to 1');
    expect(text).toContain('1 field needs a fix');
    expect(verbs(card)).toEqual(['submitTrain', 'chooseTrainModel']);
  });

  it('passes the typed inputs of a submitted train form through as parameters', () => {
    const parsed = parseCardAction('submitTrain', { cardVersion: 0, model: 'fashion-cnn', branch: 'main', 'param.lr': '0.05', 'param.epochs': 7, 'param.augment': false, ignored: 'x' });
    expect(parsed).toEqual({ ok: true, action: { verb: 'submitTrain', cardVersion: 0, model: 'fashion-cnn', branch: 'main', parameters: { lr: '0.05', epochs: '7', augment: 'false' } } });
  });

  it('parses each verb and rejects malformed card data with a clear message', () => {
    expect(parseCardAction('approve', { runId: 'r-42', approvalId: 'ap-9', cardVersion: 2, comment: '  ok  ', msteams: {} })).toEqual({ ok: true, action: { verb: 'approve', runId: 'r-42', approvalId: 'ap-9', cardVersion: 2, comment: 'ok' } });
    expect(parseCardAction('reject', { runId: 'r-42', approvalId: 'ap-9', cardVersion: 2, comment: '' })).toEqual({ ok: true, action: { verb: 'reject', runId: 'r-42', approvalId: 'ap-9', cardVersion: 2 } });
    expect(parseCardAction(undefined, { verb: 'cancelRun', runId: 'r-42', cardVersion: 1 })).toEqual({ ok: true, action: { verb: 'cancelRun', runId: 'r-42', cardVersion: 1 } });
    expect(CARD_VERBS).toHaveLength(11);
    const rejects: Array<[string | undefined, unknown, RegExp]> = [
      ['approve', { runId: 'r-42', cardVersion: 2 }, /invalid approve action: approvalId/],
      ['approve', { runId: 'r-42; drop', approvalId: 'a', cardVersion: 2 }, /runId: must be an id/],
      ['cancelRun', { runId: 'r-42', cardVersion: '1' }, /cardVersion/],
      ['cancelRun', { runId: 'r-42', cardVersion: -1 }, /cardVersion/],
      ['retryRun', null, /must be an object/],
      ['retryRun', ['r-42'], /must be an object/],
      ['deleteEverything', { runId: 'r-42' }, /unknown card action verb "deleteEverything"/],
      [undefined, { runId: 'r-42' }, /unknown card action verb/],
      ['cancelRun', { verb: 'approve', runId: 'r-42', cardVersion: 1 }, /is for "approve", not "cancelRun"/],
      ['reject', { runId: 'r', approvalId: 'a', cardVersion: 1, comment: 'x'.repeat(1001) }, /comment is longer than 1000/],
      ['submitTrain', { cardVersion: 0, model: 'm', branch: '../etc' }, /branch must be a git branch name/],
      ['submitTrain', { cardVersion: 0, model: 'm', branch: 'main', 'param.lr': { $gt: 1 } }, /param.lr: must be a parameter value/],
    ];
    for (const [verb, data, message] of rejects) {
      const r = parseCardAction(verb, data);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    }
  });
});

/** The main cards as pictures, drawn by the `adaptivecards` renderer in Debian's Chromium. */
const withBrowser = browserAvailable() ? describe : describe.skip;

withBrowser('workflow cards as pictures (test-output/cards/*.png)', () => {
  it('renders the main cards to PNG', async () => {
    const out = join(REPO_ROOT, 'test-output', 'cards');
    mkdirSync(out, { recursive: true });
    const shots: Array<[string, unknown]> = [
      ['run-running', runCard(runView())],
      ['run-succeeded', runCard(runView({ status: 'succeeded' }))],
      ['run-failed', runCard(runView({ status: 'failed', metrics: [] }))],
      ['approval-approver', approvalCard(approvalView())],
      ['approval-others', approvalCard(approvalView({ canAct: false }))],
      ['approval-rejected', approvalCard(approvalView({ state: 'rejected', decisions: [{ by: LEE, decision: 'rejected', comment: 'Latency regression', at: '2025-06-01 11:05 UTC' }] }))],
      ['failure', failureCard(failureView({ logLines: LOG(200) }))],
      ['failure-collapsed', failureCard(failureView({ stage: 'deploy', error: 'The container group fashion-cnn-r-42 did not reach Running within 10 minutes (last state: Waiting, reason: ImagePullBackOff).', logLines: LOG(5) }))],
      ['train-form-errors', trainFormCard(trainView({ fieldErrors: { lr: 'lr must be a number from 0.0001 to 1' }, values: { lr: '5' } }))],
      ['list-runs', listCard({ title: 'Runs of fashion-cnn', subtitle: 'Most recent first', rows: [
        { title: 'r-42', status: '\u23f3 Training', facts: [{ title: 'Requested by', value: 'Megan Bowen' }, { title: 'Started', value: '10:31 UTC' }] },
        { title: 'r-41', status: '\u2705 Deployed', facts: [{ title: 'Requested by', value: 'Lee Gu' }, { title: 'Version', value: '6' }] },
      ], emptyText: 'No runs yet.', footer: 'Use /status <run> for one run.' })],
    ];
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 560, height: 800 }, deviceScaleFactor: 1 });
      await page.setContent(PAGE);
      await page.addScriptTag({ path: require.resolve('adaptivecards/dist/adaptivecards.min.js') });
      for (const [name, card] of shots) {
        await page.evaluate(`window.renderCard(${JSON.stringify(card)}, ${name === 'failure' ? 'true' : 'false'})`);
        await page.locator('#card').screenshot({ path: join(out, `${name}.png`) });
      }
      writeFileSync(join(out, 'README.txt'), 'Rendered by test/unit/workflow-cards.test.ts with the adaptivecards npm renderer (not Teams) in Chromium.\n');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

/**
 * A host page in Teams' light theme. The npm renderer has no Markdown processor, so a tiny one
 * handles what the cards use: backslash escapes, **bold**, [links](url) and line breaks.
 */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; padding: 16px; background: #f5f5f5; font-family: 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif; }
#card { width: 500px; background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.18); overflow: hidden; }
.ac-pushButton { border: 1px solid #d1d1d1; background: #fff; border-radius: 4px; padding: 5px 12px; font-weight: 600; font-size: 14px; color: #242424; }
.ac-input { font-family: inherit; font-size: 14px; }
a { color: #5b5fc7; }
.mention { color: #5b5fc7; font-weight: 600; }
</style></head><body><div id="card"></div><script>
function md(text) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const held = [];
  let s = text.replace(/\\\\(.)/g, (_, c) => { held.push(esc(c)); return '\\u0000' + (held.length - 1) + '\\u0000'; });
  s = esc(s).replace(/&lt;at&gt;(.*?)&lt;\\/at&gt;/g, '<span class="mention">$1</span>').replace(/\\*\\*([^*]+)\\*\\*/g, '<b>$1</b>').replace(/\\[([^\\]]+)\\]\\(([^)]+)\\)/g, '<a href="$2">$1</a>').replace(/\\n/g, '<br>');
  return s.replace(/\\u0000(\\d+)\\u0000/g, (_, i) => held[Number(i)]);
}
window.renderCard = function (json, expand) {
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => { result.outputHtml = md(text); result.didProcess = true; };
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig({
    fontFamily: "'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif",
    spacing: { small: 4, default: 8, medium: 14, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: '#e0e0e0' },
    fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 22 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    containerStyles: {
      default: { backgroundColor: '#ffffff', foregroundColors: { default: { default: '#242424', subtle: '#616161' }, accent: { default: '#5b5fc7', subtle: '#5b5fc7' }, good: { default: '#0e700e', subtle: '#0e700e' }, warning: { default: '#835c00', subtle: '#835c00' }, attention: { default: '#c50f1f', subtle: '#c50f1f' } } },
      emphasis: { backgroundColor: '#f0f0f0', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
      accent: { backgroundColor: '#c5cbfa', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
      good: { backgroundColor: '#e7f2da', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
      attention: { backgroundColor: '#fdf3f4', foregroundColors: { default: { default: '#242424', subtle: '#616161' }, attention: { default: '#c50f1f', subtle: '#c50f1f' } } },
      warning: { backgroundColor: '#fff9f5', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
    },
    actions: { maxActions: 6, buttonSpacing: 8, showCard: { actionMode: 'inline' }, actionsOrientation: 'horizontal', actionAlignment: 'left' },
    factSet: { title: { weight: 'bolder', wrap: true, maxWidth: 150 }, value: { wrap: true }, spacing: 12 },
  });
  card.parse(json);
  const el = card.render();
  const host = document.getElementById('card');
  host.innerHTML = '';
  host.appendChild(el);
  if (expand) for (const b of el.querySelectorAll('button')) if (/^Show the last/.test(b.textContent)) b.click();
};
</script></body></html>`;
