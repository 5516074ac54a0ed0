import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { defaultPipelines } from '../../sandbox/azure-devops/pipeline-specs';

/** infra/pipelines/*.yml against the Azure Pipelines schema (test/fixtures/schemas/azure-pipelines, see SOURCES.md). */
const root = join(__dirname, '../..');
let validate: ValidateFunction;

beforeAll(() => {
  const schema = JSON.parse(readFileSync(join(root, 'test/fixtures/schemas/azure-pipelines/service-schema.json'), 'utf8')) as object;
  // Options from the schema's README: the schema treats every YAML scalar as a string, and its patterns are not unicode-mode regexps.
  validate = new Ajv({ strict: false, unicodeRegExp: false, coerceTypes: true }).compile(schema);
});

const load = (file: string): Record<string, unknown> => parse(readFileSync(join(root, 'infra/pipelines', file), 'utf8')) as Record<string, unknown>;
const stageNames = (doc: Record<string, unknown>): string[] => (doc.stages as Array<{ stage: string }>).map((s) => s.stage);

describe('pipeline YAML', () => {
  it.each(['azure-pipelines.ci.yml', 'azure-pipelines.cd.yml'])('%s validates against the Azure Pipelines schema', (file) => {
    const ok = validate(load(file));
    expect(ok ? [] : (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf').slice(0, 5)).toEqual([]);
  });

  it('rejects a pipeline with a misspelt key, so the validation above means something', () => {
    expect(validate({ stages: [{ stage: 'Build', jobz: [] }] })).toBe(false);
  });

  it('has the stages and parameters the sandbox models, so sandbox runs look like real ones', () => {
    const [ci, cd] = defaultPipelines();
    expect(stageNames(load('azure-pipelines.ci.yml'))).toEqual(ci?.stages.map((s) => s.name));
    const cdDoc = load('azure-pipelines.cd.yml');
    expect(stageNames(cdDoc)).toEqual(cd?.stages.map((s) => s.name));
    expect((cdDoc.parameters as Array<{ name: string }>).map((p) => p.name).sort()).toEqual(Object.keys(cd?.parameters ?? {}).sort());
    const deploy = (cdDoc.stages as Array<{ stage: string; jobs: Array<{ environment?: string }> }>).find((s) => s.stage === 'Deploy');
    expect(deploy?.jobs[0]?.environment).toBe(cd?.stages.find((s) => s.name === 'Deploy')?.approval?.environment);
  });
});
