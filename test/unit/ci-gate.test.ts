import { requireTool } from '../support/tools';

describe('the CI gate of environment-dependent tests', () => {
  const saved = process.env.CI;
  afterEach(() => {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  });

  it('fails under CI=true when a tool is missing, naming the tool and how to install it', () => {
    process.env.CI = 'true';
    expect(() => requireTool('frobnicator', () => false, 'apt-get install -y frobnicator')).toThrow('CI=true but frobnicator is missing: apt-get install -y frobnicator (.ci/run must install it)');
    expect(requireTool('frobnicator', () => true, 'x')).toBe(true);
  });

  it('skips visibly elsewhere', () => {
    delete process.env.CI;
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      expect(requireTool('frobnicator', () => false, 'apt-get install -y frobnicator')).toBe(false);
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).toContain('SKIPPED tests that need frobnicator');
  });
});
