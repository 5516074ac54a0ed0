import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Environment layouts of fashion-cnn for tests. The shipped mlops.config.yaml deploys through
 * staging (no approval) then production (one approval); tests that tell that story load it as
 * it is. A test whose subject is something else (an approval rule, one failing stage, the
 * dashboard's API...) and that needs `/train` to stop at an approval pins PRODUCTION_ONLY below,
 * by name, so a reader sees that it does.
 */

type Doc = { models: Record<string, Record<string, unknown>> };

/**
 * The shipped mlops.config.yaml with fashion-cnn's environments cut to the last one, production
 * (container group fashion-cnn-prod, the model's approval: one approver, 24 h): `/train` deploys
 * straight to production through its approval, as the shipped config did before staging.
 */
export const PRODUCTION_ONLY = (text: string): string => {
  // Cut by lines, not parse-and-print, so the rest of the file stays as written (comments,
  // quoting, flow lists): tests may still rewrite other lines by text before or after this.
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^\s*- name: staging\s*$/.test(l));
  const indent = start < 0 ? -1 : lines[start]!.indexOf('-');
  const after = lines.findIndex((l, i) => i > start && l.trim() !== '' && l.search(/\S/) <= indent);
  const cut = start < 0 ? text : [...lines.slice(0, start), ...lines.slice(after < 0 ? lines.length : after)].join('\n');
  const envs = ((parse(cut) as Doc).models['fashion-cnn']?.environments as Array<{ name: string }> | undefined)?.map((e) => e.name);
  if (envs?.join() !== 'production') throw new Error(`PRODUCTION_ONLY expects fashion-cnn's environments in mlops.config.yaml to be a staging item then production; left ${JSON.stringify(envs)}`);
  return cut;
};

/** A file reader for loadConfig that gives mlops.config.yaml through `transform` (and every other file as it is). */
export const configReader =
  (transform: (text: string) => string) =>
  (path: string): string =>
    path.endsWith('mlops.config.yaml') ? transform(readFileSync(path, 'utf8')) : readFileSync(path, 'utf8');

/** mlops.config.yaml with fashion-cnn going through staging (own resource group and size, no approval, Adele approves) then production (one approval, Megan approves). */
export const STAGING_THEN_PRODUCTION = (text: string): string => {
  const doc = parse(text) as Doc;
  const m = doc.models['fashion-cnn']!;
  delete m.deployment;
  m.environments = [
    { name: 'staging', containerGroup: 'fashion-cnn-staging', resourceGroup: 'rg-mlops-staging', cpu: 0.5, memoryInGB: 1, approval: 'none', roles: { approvers: ['user-id-2'] } },
    { name: 'production', containerGroup: 'fashion-cnn-prod', cpu: 1, memoryInGB: 1.5, dnsLabel: 'fashion-cnn-prod', approval: { required: 1, expiresAfter: '24h' }, roles: { approvers: ['user-id-1'] } },
  ];
  return stringify(doc);
};

/**
 * Writes the shipped mlops.config.yaml through `transform` into `dir` and returns its path, for
 * tests that start the bot as a child process (MLOPS_CONFIG=<path>), e.g.
 * `MLOPS_CONFIG: configFile(dir, PRODUCTION_ONLY)`.
 */
export function configFile(dir: string, transform: (text: string) => string): string {
  const path = join(dir, 'mlops.config.yaml');
  writeFileSync(path, transform(readFileSync(join(__dirname, '../../mlops.config.yaml'), 'utf8')));
  return path;
}
