import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../services/config/config';
import { REPO_ROOT } from '../support/context';
import { PRODUCTION_ONLY, STAGING_THEN_PRODUCTION } from '../support/environments';

const defaultYaml = readFileSync(join(REPO_ROOT, 'mlops.config.yaml'), 'utf8');
const load = (yaml: string) => loadConfig({ MLOPS_SANDBOX: '1' }, () => yaml, REPO_ROOT);
const edit = (change: (m: Record<string, unknown>) => void, base = STAGING_THEN_PRODUCTION(defaultYaml)): string => {
  const doc = parse(base) as { models: Record<string, Record<string, unknown>> };
  change(doc.models['fashion-cnn']!);
  return stringify(doc);
};
function problemsOf(yaml: string): string {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** The form of earlier versions: no environments, one `deployment` (here production's) and `target`. */
const legacyYaml = edit((m) => {
  const prod = (m.environments as Array<Record<string, unknown>>).find((e) => e.name === 'production')!;
  const { name: _n, approval: _a, ...deployment } = prod;
  delete m.environments;
  Object.assign(m, { target: 'production', deployment });
}, defaultYaml);

describe('environments in mlops.config.yaml', () => {
  it('ships staging (smaller, its own container group and DNS label, no approval) then production (one approval, 24 h)', () => {
    const m = load(defaultYaml).mlops.models['fashion-cnn']!;
    expect(m.environments.map((e) => [e.name, e.containerGroup, e.resourceGroup, e.cpu, e.memoryInGB, e.port, e.dnsLabel, e.approval])).toEqual([
      ['staging', 'fashion-cnn-staging', undefined, 0.5, 1, 5001, 'fashion-cnn-staging', 'none'],
      ['production', 'fashion-cnn-prod', undefined, 1, 1.5, 5001, 'fashion-cnn-prod', { required: 1, expiresAfter: 86_400_000 }],
    ]);
    // The model's smoke test is every environment's (infra/pipelines/scripts/smoke_test.py reads it there too).
    for (const e of m.environments) expect(e.smokeTest).toEqual(m.smokeTest);
    expect(m.environments[0]!.smokeTest.maxLatencyMs).toBe(2000);
    expect(m.environments.every((e) => e.roles === undefined)).toBe(true);
  });

  it('PRODUCTION_ONLY, the pin of tests about other things, leaves the shipped production environment alone and the rest of the file as written', () => {
    const pinned = PRODUCTION_ONLY(defaultYaml);
    const shipped = load(defaultYaml).mlops.models['fashion-cnn']!;
    expect(load(pinned).mlops.models['fashion-cnn']!.environments).toEqual([shipped.environments[1]]);
    expect(pinned).toContain('approvers: ["user-id-1", "meganb@example.com", "approver@contoso.com"]');
    const kept = new Set(pinned.split('\n'));
    const removed = defaultYaml.split('\n').filter((l) => !kept.has(l));
    expect(removed[0]).toMatch(/^\s*- name: staging$/);
    expect(removed.join('\n')).not.toMatch(/name: production|approvers|smokeTest/);
  });

  it('turns a model without environments into one environment named by target, from deployment, smokeTest and approval', () => {
    const m = load(legacyYaml).mlops.models['fashion-cnn']!;
    expect(m.environments).toEqual([expect.objectContaining({ name: 'production', containerGroup: 'fashion-cnn-prod', cpu: 1, memoryInGB: 1.5, approval: { required: 1, expiresAfter: 86_400_000 } })]);
    expect(m.environments[0]!.smokeTest.maxLatencyMs).toBe(2000);
  });

  it('reads an ordered list with per-environment size, resource group, approval and roles; the smoke test defaults to the model one', () => {
    const m = load(STAGING_THEN_PRODUCTION(defaultYaml)).mlops.models['fashion-cnn']!;
    expect(m.environments.map((e) => [e.name, e.containerGroup, e.resourceGroup, e.cpu, e.approval])).toEqual([
      ['staging', 'fashion-cnn-staging', 'rg-mlops-staging', 0.5, 'none'],
      ['production', 'fashion-cnn-prod', undefined, 1, { required: 1, expiresAfter: 86_400_000 }],
    ]);
    expect(m.environments[1]!.smokeTest).toEqual(m.smokeTest);
    expect(m.environments[1]!.roles).toEqual({ approvers: ['user-id-1'] });
  });

  it.each([
    ['a duplicate name', (m: Record<string, unknown>) => ((m.environments as Record<string, unknown>[])[1]!.name = 'staging'), /environments\.1\.name: environment "staging" is listed twice/],
    ['a shared container group', (m: Record<string, unknown>) => (m.environments = [{ name: 'staging', containerGroup: 'x' }, { name: 'production', containerGroup: 'x' }]), /would deploy to the same container group x: give each its own containerGroup or resourceGroup/],
    ['deployment next to environments', (m: Record<string, unknown>) => (m.deployment = { containerGroup: 'old' }), /deployment: with environments, each environment names its own containerGroup/],
    ['no smoke test anywhere', (m: Record<string, unknown>) => delete m.smokeTest, /environments\.0\.smokeTest: set smokeTest: \{ sample: \.\.\. \} on environment "staging" or on the model/],
    ['a bad name', (m: Record<string, unknown>) => ((m.environments as Record<string, unknown>[])[0]!.name = 'Staging!'), /environments\.0\.name: an environment name is lower-case letters/],
    ['a name the registry reserves as alias', (m: Record<string, unknown>) => ((m.environments as Record<string, unknown>[])[0]!.name = 'v2'), /environments\.0\.name: "v2" cannot be a registry alias \(MLflow reserves "latest" and v<number>\)/],
    ['an empty list', (m: Record<string, unknown>) => (m.environments = []), /list at least one environment, or leave environments out/],
    ['a workspace registry with an environment that is no stage', (m: Record<string, unknown>) => Object.assign(m, { registry: 'workspace', registeredModel: 'fashion_cnn', environments: [{ name: 'qa', containerGroup: 'q' }] }), /stages, not aliases: name must be production or staging/],
  ])('names the fix for %s', (_what, change, pattern) => {
    expect(problemsOf(edit(change))).toMatch(pattern);
  });

  it('names the fix when a model has neither deployment nor environments', () => {
    expect(problemsOf(edit((m) => delete m.deployment, legacyYaml))).toMatch(/deployment: set deployment: \{ containerGroup: \.\.\. \} \(one environment\) or environments:/);
  });
});
