import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../services/config/config';
import { PYTHON, pythonMode, pythonProblem } from '../support/python';

/**
 * The pipelines and mlops.config.yaml name only what exists: every repo path a step uses is a file,
 * every Python script a step runs answers --help, and every training parameter a pipeline passes is
 * a parameter declared in mlops.config.yaml (same name, same default), down to train.py's options.
 */
const ROOT = join(__dirname, '..', '..');
const PIPELINES = join(ROOT, 'infra', 'pipelines');
const config = loadConfig({ MLOPS_SANDBOX: '1' }, undefined, ROOT).mlops;
const declared = config.models['fashion-cnn']!.parameters;

type Doc = Record<string, unknown>;
const load = (file: string): Doc => parse(readFileSync(join(PIPELINES, file), 'utf8')) as Doc;
const files = readdirSync(PIPELINES).filter((f) => f.endsWith('.yml'));

/** Every string value of a parsed YAML document (scripts, inputs, ...). */
function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => strings(n, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((n) => strings(n, out));
  return out;
}

/** Repo paths a pipeline names (infra/..., mlops.config.yaml), without ${{ }} / $( ) expressions. */
export function repoPaths(doc: Doc): string[] {
  const found = new Set<string>();
  for (const s of strings(doc)) for (const m of s.matchAll(/(?:^|[\s"'=@])((?:infra\/[\w./-]+)|mlops\.config\.yaml)/g)) found.add(m[1]!.replace(/[.,;:]+$/, ''));
  return [...found];
}

/** `python <script>.py` invocations. */
export function pythonScripts(doc: Doc): string[] {
  return [...new Set(strings(doc).flatMap((s) => [...s.matchAll(/\bpython3?\s+((?:infra\/)[\w./-]+\.py)/g)].map((m) => m[1]!)))];
}

/** Options a pipeline passes to the training job runner, e.g. --batch_size. */
export function trainingOptions(doc: Doc): string[] {
  return strings(doc).filter((s) => s.includes('run_training_job.py')).map((s) => s.slice(s.indexOf('run_training_job.py'))).flatMap((s) => [...s.matchAll(/--([A-Za-z_][\w-]*)\s/g)].map((m) => m[1]!)).filter((o) => !['host', 'job-id', 'poll-seconds', 'timeout-seconds'].includes(o));
}

describe('pipelines and mlops.config.yaml name only what exists', () => {
  it.each(files)('%s names only files that exist', (file) => {
    const missing = repoPaths(load(file)).filter((p) => !existsSync(join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it('training.entryPoint of every model is a file', () => {
    for (const [name, m] of Object.entries(config.models)) expect({ name, exists: existsSync(join(ROOT, m.training.entryPoint)) }).toEqual({ name, exists: true });
  });

  it('would catch a missing script, a missing file and an undeclared parameter (the checks can fail)', () => {
    const bad: Doc = { steps: [{ script: 'python infra/pipelines/scripts/nope.py --x 1' }, { script: 'python infra/pipelines/scripts/run_training_job.py --host h --learningRate 0.1 ' }] };
    expect(repoPaths(bad).filter((p) => !existsSync(join(ROOT, p)))).toEqual(['infra/pipelines/scripts/nope.py']);
    expect(trainingOptions(bad).filter((o) => !(o in declared))).toEqual(['learningRate']);
  });

  it('the CD pipeline declares exactly the model parameters (plus modelName) with the config defaults, and passes each under its name', () => {
    const cd = load('azure-pipelines.cd.yml');
    const params = (cd.parameters as Array<{ name: string; default?: unknown }>).filter((p) => p.name !== 'modelName');
    expect(params.map((p) => p.name).sort()).toEqual(Object.keys(declared).sort());
    for (const p of params) expect({ name: p.name, default: String(p.default) }).toEqual({ name: p.name, default: String(declared[p.name]!.default) });
    expect(trainingOptions(cd).sort()).toEqual(Object.keys(declared).sort());
  });

  it('the Databricks job declares the same parameters with the same defaults and passes them to train.py by name', () => {
    const job = parse(readFileSync(join(ROOT, 'infra/databricks/resources/train.job.yml'), 'utf8')) as { resources: { jobs: { train_model: { parameters: Array<{ name: string; default: string }>; tasks: Array<{ spark_python_task: { parameters: string[] } }> } } } };
    const t = job.resources.jobs.train_model;
    expect(Object.fromEntries(t.parameters.map((p) => [p.name, p.default]))).toEqual(Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, String(v.default)])));
    const args = t.tasks[0]!.spark_python_task.parameters;
    for (const name of Object.keys(declared)) expect(args[args.indexOf(`--${name}`) + 1]).toBe(`{{job.parameters.${name}}}`);
  });

  const problem = pythonProblem();
  (pythonMode(problem) === 'skip' ? it.skip : it)('every Python script a pipeline runs, and train.py, answers --help; train.py lists one option per declared parameter', () => {
    if (problem) throw new Error(problem);
    const scripts = [...new Set(files.flatMap((f) => pythonScripts(load(f))))];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const script of [...scripts, config.models['fashion-cnn']!.training.entryPoint]) {
      const r = spawnSync(PYTHON, [script, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect({ script, status: r.status, stderr: r.stderr.slice(-500) }).toEqual({ script, status: 0, stderr: '' });
      if (script.endsWith('train.py')) for (const name of Object.keys(declared)) expect(r.stdout).toContain(`--${name} `);
    }
  });
});
