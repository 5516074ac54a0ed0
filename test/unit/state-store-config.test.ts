import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../services/config/config';
import { tableConnectionString } from '../../sandbox/azurite/azurite-table';
import { REPO_ROOT } from '../support/context';

const yaml = readFileSync(join(REPO_ROOT, 'mlops.config.yaml'), 'utf8');
const load = (env: Record<string, string>) => loadConfig({ MLOPS_SANDBOX: '1', ...env }, () => yaml, REPO_ROOT);
const problems = (env: Record<string, string>): string => {
  try {
    load(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('STATE_STORE', () => {
  it('keeps SQLite the default', () => {
    expect(load({}).stateStore).toEqual({ kind: 'sqlite', path: join(REPO_ROOT, 'data/mlops-chatops.db') });
  });

  it('takes a table endpoint for Entra, with the table, lease term and local file', () => {
    const s = load({ STATE_STORE: 'azure-table:https://acct.table.core.windows.net/', STATE_TABLE: 'botstate', LEASE_TTL_MS: '20000', LOCAL_STATE_PATH: '/tmp/x.db' }).stateStore;
    expect(s).toEqual({ kind: 'azure-table', endpoint: 'https://acct.table.core.windows.net', connectionString: undefined, table: 'botstate', leaseTtlMs: 20000, path: '/tmp/x.db' });
  });

  it('takes a connection string for the key, and scrubs the key from logs', () => {
    const cs = tableConnectionString(10002);
    const cfg = load({ STATE_STORE: `azure-table:${cs}` });
    expect(cfg.stateStore).toMatchObject({ kind: 'azure-table', connectionString: cs, endpoint: undefined, table: 'mlopschatops', leaseTtlMs: 30000 });
    expect(cfg.secrets).toContain(/AccountKey=([^;]+)/.exec(cs)?.[1]);
  });

  it('refuses other values with the forms it takes', () => {
    expect(problems({ STATE_STORE: 'azure-table:http://acct.table.core.windows.net' })).toMatch(/^STATE_STORE: .*azure-table:<table endpoint>.*docs\/scale-out\.md/);
    expect(problems({ STATE_STORE: 'azure-table:AccountName=a;TableEndpoint=https://x' })).toMatch(/^STATE_STORE: /);
    expect(problems({ STATE_STORE: 'postgres://db' })).toMatch(/^STATE_STORE: /);
    expect(problems({ STATE_STORE: 'azure-table:https://acct.table.core.windows.net', STATE_TABLE: '1bad' })).toMatch(/^STATE_TABLE: /);
    expect(problems({ LEASE_TTL_MS: '500' })).toMatch(/^LEASE_TTL_MS: LEASE_TTL_MS must be at least 2000/);
  });
});
