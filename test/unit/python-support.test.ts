import { pythonMode, pythonProblem } from '../support/python';

describe('the Python test gate', () => {
  it('names a missing interpreter', () => {
    expect(pythonProblem('/nonexistent/python3')).toMatch(/is missing/);
  });

  it('fails in CI, skips elsewhere, runs when python is usable', () => {
    expect(pythonMode('no torch', { CI: 'true' })).toBe('fail');
    expect(pythonMode('no torch', { CI: '1' })).toBe('fail');
    expect(pythonMode('no torch', {})).toBe('skip');
    expect(pythonMode(undefined, { CI: 'true' })).toBe('run');
  });
});
