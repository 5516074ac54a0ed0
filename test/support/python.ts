import { spawnSync } from 'node:child_process';

/**
 * Debian's python3 with torch, numpy and pytest (.ci/run installs them; no other index is reachable).
 * Outside CI a machine without them skips the Python tests with a message; in CI (CI=true) their
 * absence is a failure, so a broken CI image can never pass by skipping.
 */
export const PYTHON = '/usr/bin/python3';

export function pythonProblem(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy, pytest'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} is missing (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} lacks torch/numpy/pytest: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** `describe` when python is usable; in CI a failing suite otherwise; elsewhere a skipped one. */
export function describePython(name: string, body: () => void): void {
  const problem = pythonProblem();
  if (!problem) {
    describe(name, body);
  } else if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(name, () => {
      it('needs python3 with torch, numpy and pytest (apt-get install python3-torch python3-numpy python3-pytest)', () => {
        throw new Error(problem);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${problem}; CI=true makes this a failure)`, body);
  }
}
