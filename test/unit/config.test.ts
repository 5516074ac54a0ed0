import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../services/config/config';
import { REPO_ROOT } from '../support/context';

const defaultYaml = readFileSync(join(REPO_ROOT, 'mlops.config.yaml'), 'utf8');
const load = (env: Record<string, string>, yaml = defaultYaml) => loadConfig({ MLOPS_SANDBOX: '1', ...env }, () => yaml, REPO_ROOT);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads the default file in sandbox mode with auth off', () => {
    const cfg = load({});
    expect(cfg.port).toBe(3978);
    expect(cfg.botAuth).toBeUndefined();
    expect(cfg.sandboxMode).toBe(true);
    expect(cfg.mlops.models['fashion-cnn']?.parameters.lr).toMatchObject({ type: 'number', min: 0.00001, max: 1 });
    expect(cfg.mlops.models['fashion-cnn']?.approval).toEqual({ required: 1, expiresAfter: 24 * 3_600_000 });
    expect(cfg.stateStore.path).toBe(join(REPO_ROOT, 'data/mlops-chatops.db'));
    expect(Object.isFrozen(cfg.mlops.models)).toBe(true);
  });

  it('refuses to run with auth off outside sandbox mode, naming MicrosoftAppId', () => {
    const problems = problemsOf(() => loadConfig({}, () => defaultYaml, REPO_ROOT));
    expect(problems.join('\n')).toMatch(/^MicrosoftAppId: .*npm start/m);
  });

  it('turns auth on when MicrosoftAppId is set and requires its password', () => {
    const id = '11111111-2222-3333-4444-555555555555';
    expect(problemsOf(() => load({ MicrosoftAppId: id }))).toEqual([expect.stringMatching(/^MicrosoftAppPassword: /)]);
    const cfg = load({ MicrosoftAppId: id, MicrosoftAppPassword: 'x'.repeat(20) });
    expect(cfg.botAuth).toMatchObject({ appId: id, appType: 'MultiTenant' });
    expect(cfg.secrets).toContain('x'.repeat(20));
  });

  it.each([
    ['PORT', { PORT: 'eighty' }, /^PORT: /],
    ['PORT range', { PORT: '70000' }, /^PORT: /],
    ['MicrosoftAppId', { MicrosoftAppId: 'not-a-guid' }, /^MicrosoftAppId: .*GUID/],
    ['MicrosoftAppType', { MicrosoftAppType: 'Single' }, /^MicrosoftAppType: .*MultiTenant, SingleTenant or UserAssignedMsi/],
    ['AZURE_DEVOPS_ORG_URL', { AZURE_DEVOPS_ORG_URL: 'dev.azure.com/contoso' }, /^AZURE_DEVOPS_ORG_URL: .*https:\/\/dev\.azure\.com\/contoso/],
    ['AZURE_DEVOPS_PROJECT', { AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/contoso' }, /^AZURE_DEVOPS_PROJECT: /],
    ['DATABRICKS_HOST', { DATABRICKS_HOST: 'adb-1.azuredatabricks.net' }, /^DATABRICKS_HOST: /],
    ['AZURE_SUBSCRIPTION_ID', { AZURE_SUBSCRIPTION_ID: 'sub1' }, /^AZURE_SUBSCRIPTION_ID: /],
    ['STATE_STORE', { STATE_STORE: 'postgres://x' }, /^STATE_STORE: .*sqlite:/],
    ['WEBHOOK_SECRET', { WEBHOOK_SECRET: 'short' }, /^WEBHOOK_SECRET: .*openssl rand/],
    ['ARM_ENDPOINT', { ARM_ENDPOINT: 'ftp://x' }, /^ARM_ENDPOINT: /],
  ])('names %s and how to fix it when its value is bad', (_name, env, pattern) => {
    expect(problemsOf(() => load(env as Record<string, string>)).join('\n')).toMatch(pattern);
  });

  it('requires the Azure location triple together', () => {
    const problems = problemsOf(() => load({ AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555' }));
    expect(problems.join()).toContain('AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZURE_LOCATION go together');
  });

  it('names the file and the path of a bad value in mlops.config.yaml', () => {
    const bad = defaultYaml.replace('min: 0.00001', 'min: low');
    expect(problemsOf(() => load({}, bad)).join()).toMatch(/^mlops\.config\.yaml: models\.fashion-cnn\.parameters\.lr\.min: /);
    const badDefault = defaultYaml.replace('defaultModel: fashion-cnn', 'defaultModel: nope');
    expect(problemsOf(() => load({}, badDefault)).join()).toContain('defaultModel "nope" is not one of the declared models');
    expect(problemsOf(() => load({}, 'models: [')).join()).toMatch(/^MLOPS_CONFIG: .*not valid YAML/);
  });

  it('says which file it could not read', () => {
    const problems = problemsOf(() => loadConfig({ MLOPS_SANDBOX: '1', MLOPS_CONFIG: 'missing.yaml' }, undefined, REPO_ROOT));
    expect(problems.join()).toMatch(/MLOPS_CONFIG: cannot read .*missing\.yaml \(ENOENT\)/);
  });
});
