import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../services/config/config';
import { PYTHON, describePython } from '../support/python';

const ROOT = join(__dirname, '..', '..');

/** An IDX file (two zero bytes, type 0x08 = ubyte, dimension count, big-endian sizes, data). */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** A tiny Fashion-MNIST-shaped data set (class k lights up a band of rows), written as the published file names. */
function writeDataset(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [split, n] of [['train', 200], ['t10k', 40]] as const) {
    const labels = Uint8Array.from({ length: n }, (_v, i) => i % 10);
    const images = new Uint8Array(n * 784);
    labels.forEach((k, i) => {
      for (let r = 2 + 2 * k; r < 4 + 2 * k; r++) for (let c = 0; c < 28; c++) images[i * 784 + r * 28 + c] = 250;
    });
    writeFileSync(join(dir, `${split}-images-idx3-ubyte`), idx([n, 28, 28], images));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte`), idx([n], labels));
  }
}

describePython('the real score.py serving a model trained by the real training code', () => {
  const work = mkdtempSync(join(tmpdir(), 'mlops-scoring-'));
  const name = 'main.mlops.fashion_cnn';
  let modelDir = '';
  let version = '';
  let server: ChildProcess | undefined;
  let base = '';

  beforeAll(async () => {
    writeDataset(join(work, 'data'));
    const trained = spawnSync(PYTHON, ['infra/scoring/tests/local_model.py', join(work, 'data'), work, name], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    const m = /MODEL_DIR=(\S+) MODEL_VERSION=(\d+)/.exec(trained.stdout);
    if (!m) throw new Error(`training failed: ${trained.stdout.slice(-2000)} ${trained.stderr.slice(-2000)}`);
    modelDir = m[1]!;
    version = m[2]!;
    const child = spawn(PYTHON, ['infra/scoring/score.py'], { cwd: ROOT, env: { ...process.env, MODEL_DIR: modelDir, MODEL_NAME: name, MODEL_VERSION: version, PORT: '0', HOST: '127.0.0.1' } });
    server = child;
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const port = /on port (\d+)/.exec(out)?.[1];
        if (port) resolve(`http://127.0.0.1:${port}`);
      });
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => reject(new Error(`score.py exited with ${code}: ${out}`)));
    });
  }, 300_000);

  afterAll(() => {
    server?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers the health probe on GET / with the pinned version', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', model: { name, version } });
  });

  it('scores the smoke sample of mlops.config.yaml: 200, one prediction, probabilities summing to 1', async () => {
    const sample = loadConfig({ MLOPS_SANDBOX: '1' }, undefined, ROOT).mlops.models['fashion-cnn']!.environments[0]!.smokeTest.sample;
    const res = await fetch(`${base}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: unknown; predictions: Array<{ class: number; label: string; probabilities: number[] }> };
    expect(body.model).toEqual({ name, version });
    expect(body.predictions).toHaveLength(1);
    const p = body.predictions[0]!;
    expect(p.probabilities).toHaveLength(10);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.label).toEqual(expect.any(String));
  });

  it('answers 400 with the reason for input that does not fit the model', async () => {
    const post = (body: string, type = 'application/json'): Promise<Response> => fetch(`${base}/score`, { method: 'POST', headers: { 'content-type': type }, body });
    for (const [body, reason] of [
      ['{"data": [[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]]}', '"inputs"'],
      ['{"inputs": [[0.0, 0.1, 0.2]]}', '784 numbers'],
      ['not json', 'not JSON'],
    ] as const) {
      const res = await post(body);
      expect({ status: res.status, error: ((await res.json()) as { error: string }).error }).toEqual({ status: 400, error: expect.stringContaining(reason) as string });
    }
    expect((await post('{"inputs": []}', 'text/plain')).status).toBe(400);
  });

  it('refuses to start for a version other than the one in its model directory', () => {
    const r = spawnSync(PYTHON, ['infra/scoring/score.py'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MODEL_DIR: modelDir, MODEL_NAME: name, MODEL_VERSION: String(Number(version) + 1), PORT: '0' }, timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`not ${name} version ${Number(version) + 1}`);
  });
});
