import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, describePython } from '../support/python';

const ROOT = join(__dirname, '..', '..');

describePython('Python tests of infra/ (pytest)', () => {
  it('runs every pytest test of the training and scoring code and they pass', () => {
    const r = spawnSync(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'infra/databricks/tests', 'infra/scoring/tests', 'infra/pipelines/tests'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    expect({ status: r.status, summary, failures: r.status === 0 ? '' : r.stdout.slice(-4000) + r.stderr.slice(-2000) }).toEqual({ status: 0, summary: expect.stringMatching(/^\d+ passed/) as string, failures: '' });
    expect(Number(/^(\d+) passed/.exec(summary)?.[1])).toBeGreaterThanOrEqual(35);
  });
});
