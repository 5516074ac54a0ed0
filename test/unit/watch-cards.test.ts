import { parseCardAction } from '../../cards/card-actions';
import { externalRunCard, type ExternalRunCardView } from '../../cards/external-run.card';
import { mlopsConfigSchema } from '../../services/config/mlops-config.schema';
import { audience, findTarget, watchTargets } from '../../services/watch/watch-targets';
import type { ExternalRunReport } from '../../services/watch/watch.types';
import { validateCard } from '../support/card-schema';

const view: ExternalRunCardView = {
  watchKey: 'azure-devops:42',
  cardVersion: 3,
  system: 'Azure DevOps',
  target: 'Pipeline mlops-ci',
  runName: '20261129.4',
  outcome: 'failed',
  result: 'failed',
  failedStep: 'Test \u203a Unit tests \u203a Run unit tests',
  error: "Bash exited with code '1'.",
  logLines: Array.from({ length: 45 }, (_v, i) => `line ${i + 1}`),
  url: 'https://dev.azure.com/contoso/MLOps/_build/results?buildId=42',
  triggeredBy: { name: 'Megan Bowen', mri: '29:megan' },
  reason: 'pullRequest',
  branch: 'refs/heads/feature/x',
  model: 'fashion-cnn',
  canRetry: true,
  rollbackVersion: '6',
};
const json = (c: unknown): string => JSON.stringify(c);
/** msteams (mention entities) is Teams' extension, outside the AC 1.5 schema's closed root: checked on its own. */
const schemaErrors = (card: Record<string, unknown>): string[] => {
  const { msteams: _teams, ...rest } = card;
  return validateCard(rest);
};

describe('external run card', () => {
  it('is a valid Adaptive Card 1.5 with what failed, who (mentioned), the last 20 log lines, Retry, rollback and the link', () => {
    const card = externalRunCard(view);
    expect(schemaErrors(card)).toEqual([]);
    const text = json(card);
    expect(text).toContain('Test \u203a Unit tests \u203a Run unit tests');
    expect(text).toContain('<at>Megan Bowen</at>');
    expect(card.msteams).toEqual({ entities: [{ type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:megan', name: 'Megan Bowen' } }] });
    expect(text).toContain('line 45');
    expect(text).not.toContain('"line 25"');
    expect(text).toContain('25 earlier lines omitted');
    expect(text).toContain('"verb":"retryExternal"');
    expect(text).toContain('Roll back to v6');
    expect(text).toContain('feature/x');
    expect(text).not.toContain('refs/heads');
  });

  it('names a person who is not a member in plain text, and shows a running retry without a Retry button', () => {
    const card = externalRunCard({ ...view, triggeredBy: { name: 'Megan Bowen' }, retry: { runId: 43, by: 'Alex Wilber', state: 'running' } });
    expect(schemaErrors(card)).toEqual([]);
    expect(card.msteams).toBeUndefined();
    expect(json(card)).toContain('Retry running: run 43, asked by Alex Wilber');
    // canRetry is the view's decision (the announcer sets it false while a retry runs); here it is still true.
    const running = externalRunCard({ ...view, canRetry: false, retry: { runId: 43, by: 'Alex', state: 'running' } });
    expect(json(running)).not.toContain('retryExternal');
  });

  it('keeps user text inert: a pipeline name cannot forge a mention or a link', () => {
    const card = externalRunCard({ ...view, target: 'Pipeline <at>Boss</at> [x](http://evil)', error: '**boom**' });
    const text = json(card);
    expect(text).not.toContain('<at>Boss</at>');
    expect(text).not.toContain('[x](http://evil)');
    expect(text).toContain('\\\\*\\\\*boom\\\\*\\\\*');
  });
});

describe('card actions of watched runs', () => {
  it('accepts a report key and a rollback version, and refuses anything else', () => {
    expect(parseCardAction('retryExternal', { watchKey: 'databricks:455644833', cardVersion: 1 })).toEqual({ ok: true, action: { verb: 'retryExternal', watchKey: 'databricks:455644833', cardVersion: 1 } });
    expect(parseCardAction('retryExternal', { watchKey: 'r-1', cardVersion: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/watchKey: must be a report key/) as string });
    expect(parseCardAction('rollbackTo', { model: 'fashion-cnn', version: '6', cardVersion: 2 })).toEqual({ ok: true, action: { verb: 'rollbackTo', model: 'fashion-cnn', version: '6', cardVersion: 2 } });
    expect(parseCardAction('rollbackTo', { model: 'fashion-cnn', version: '6; drop', cardVersion: 2 })).toMatchObject({ ok: false });
  });
});

const raw = {
  models: {
    'fashion-cnn': {
      registeredModel: 'main.mlops.fashion_cnn',
      ci: { azureDevOpsPipelineId: 1 },
      training: {},
      deployment: { containerGroup: 'fashion-cnn-prod' },
      smokeTest: { sample: {} },
    },
  },
  roles: {},
  watch: { pipelines: [{ pipeline: 'nightly-etl' }], jobs: [{ job: 77, model: 'fashion-cnn' }] },
};
const config = mlopsConfigSchema.parse(raw);

const report = (over: Partial<ExternalRunReport>): ExternalRunReport => ({
  key: 'azure-devops:9', source: 'azure-devops', runId: 9, targetId: 5, targetName: 'Nightly-ETL', runName: '1', outcome: 'failed', result: 'failed',
  failedStep: undefined, error: undefined, logLines: [], url: undefined, triggeredBy: undefined, reason: undefined, branch: undefined, parameters: {}, finishedAt: undefined, model: undefined, retries: [], ...over,
});

describe('what is watched and who is told', () => {
  it('watches configured pipelines and jobs, the models\' own pipelines, and /subscribe targets, by id or name', () => {
    const targets = watchTargets(config, [{ conversationId: 'c', model: 'job:etl-daily', events: ['failed'] }]);
    expect(findTarget(targets, 'azure-devops', 1, 'mlops-ci')).toEqual({ source: 'azure-devops', ref: '1', model: 'fashion-cnn' });
    expect(findTarget(targets, 'azure-devops', 5, 'Nightly-ETL')).toMatchObject({ ref: 'nightly-etl' });
    expect(findTarget(targets, 'databricks', 77, 'whatever')).toMatchObject({ model: 'fashion-cnn' });
    expect(findTarget(targets, 'databricks', 3, 'etl-daily')).toBeDefined();
    expect(findTarget(targets, 'databricks', 5, 'Nightly-ETL')).toBeUndefined();
    expect(findTarget(targets, 'azure-devops', 2, 'mlops-cd-other')).toBeUndefined();
  });

  it('tells conversations subscribed to the pipeline (id or name), its model or everything, for that outcome only', () => {
    const subs = [
      { conversationId: 'by-name', model: 'pipeline:nightly-etl', events: ['failed' as const] },
      { conversationId: 'by-id', model: 'pipeline:5', events: ['failed' as const, 'succeeded' as const] },
      { conversationId: 'all', model: '*', events: ['failed' as const] },
      { conversationId: 'model', model: 'fashion-cnn', events: ['failed' as const] },
      { conversationId: 'approvals-only', model: '*', events: ['approval' as const] },
      { conversationId: 'other-job', model: 'job:5', events: ['failed' as const] },
    ];
    expect(audience(report({}), subs).sort()).toEqual(['all', 'by-id', 'by-name']);
    expect(audience(report({ model: 'fashion-cnn' }), subs).sort()).toEqual(['all', 'by-id', 'by-name', 'model']);
    expect(audience(report({ outcome: 'succeeded' }), subs)).toEqual(['by-id']);
  });

  it('refuses a watch entry that names neither an id nor a name', () => {
    expect(() => mlopsConfigSchema.parse({ ...raw, watch: { pipelines: [{ pipeline: '' }] } })).toThrow(/pipeline or job id/);
  });
});
