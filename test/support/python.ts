import { spawnSync } from 'node:child_process';

/**
 * Debian's python3 with torch, numpy and pytest (.ci/run installs them; no other index is reachable).
 * Outside CI a machine without them skips the Python tests with a message; in CI (CI=true) their
 * absence is a failure, so a broken CI image can never pass by skipping.
 */
export const PYTHON = '/usr/bin/python3';

export function pythonProblem(python = PYTHON): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch, numpy, pytest, yaml'], { encoding: 'utf8' });
  if (r.error) return `${python} is missing (${r.error.message})`;
  if (r.status !== 0) return `${python} lacks torch/numpy/pytest/yaml: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** What to do with the Python suites: run them, fail (CI without python) or skip (a dev machine without it). */
export function pythonMode(problem: string | undefined, env: NodeJS.ProcessEnv = process.env): 'run' | 'fail' | 'skip' {
  if (!problem) return 'run';
  return env.CI === 'true' || env.CI === '1' ? 'fail' : 'skip';
}

/** `describe` when python is usable; in CI a failing suite otherwise; elsewhere a skipped one. */
export function describePython(name: string, body: () => void): void {
  const problem = pythonProblem();
  const mode = pythonMode(problem);
  if (mode === 'run') {
    describe(name, body);
  } else if (mode === 'fail') {
    describe(name, () => {
      it('needs python3 with torch, numpy, pytest and yaml (apt-get install python3-torch python3-numpy python3-pytest python3-yaml)', () => {
        throw new Error(problem);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${problem ?? ''}; CI=true makes this a failure)`, body);
  }
}
