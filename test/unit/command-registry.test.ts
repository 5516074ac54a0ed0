import { CommandRegistry } from '../../bot/commands/command-registry';
import type { CommandReply } from '../../bot/commands/command-spec';
import { createCommandRegistry } from '../../bot/commands';
import { commandContext } from '../support/context';

const text = (r: CommandReply): string => (r.kind === 'text' ? r.text : JSON.stringify(r.card));

describe('command registry', () => {
  const registry = createCommandRegistry();

  it('registers every command of the design', () => {
    expect(registry.specs().map((s) => s.id).sort()).toEqual(
      ['approvals', 'audit', 'cancel', 'deploy', 'help', 'logs', 'rollback', 'runs', 'schedule', 'status', 'subscribe', 'train', 'unschedule', 'unsubscribe', 'whoami'].sort(),
    );
  });

  it('refuses a command registered twice', () => {
    const spec = registry.get('help');
    expect(spec).toBeDefined();
    expect(() => new CommandRegistry([spec!, spec!])).toThrow('registered twice');
  });

  it('generates /help from the registry, listing every command', async () => {
    const reply = await registry.execute('/help', commandContext(registry));
    expect(reply.kind).toBe('card');
    for (const spec of registry.specs()) expect(text(reply)).toContain(spec.usage.split(' ')[0]);
  });

  it('shows one command with /help train', async () => {
    const reply = await registry.execute('help train', commandContext(registry));
    const body = text(reply);
    expect(body).toContain('/train');
    expect(body).toContain('--branch');
    expect(body).toContain('key=value');
    expect(body).not.toContain('/approvals');
  });

  it('answers unknown input with the closest command and nothing else', async () => {
    const reply = await registry.execute('/trian lr=1', commandContext(registry));
    expect(reply).toEqual({ kind: 'text', text: expect.stringContaining('Did you mean **/train**?') as string });
    const nonsense = await registry.execute('/nonsense', commandContext(registry));
    expect(text(nonsense)).toMatch(/Did you mean \*\*\/\w+\*\*\?/);
  });

  it('rejects an unknown flag with the usage', async () => {
    const reply = await registry.execute('/train --foo 1', commandContext(registry));
    expect(text(reply)).toContain('--foo is not an option of /train');
    expect(text(reply)).toContain('Usage: `/train [model] [--branch <branch>] [key=value ...]`');
  });

  it('rejects bad values named by argument', () => {
    const r1 = registry.resolve('/logs r-42 --lines 999');
    expect(r1.kind).toBe('invalid');
    expect(r1.kind === 'invalid' && r1.problems.join()).toContain('lines');
    const r2 = registry.resolve('/train Bad_Model');
    expect(r2.kind === 'invalid' && r2.problems.join()).toContain('model name');
    const r3 = registry.resolve('/subscribe --events failed,exploded');
    expect(r3.kind === 'invalid' && r3.problems.join()).toContain('events are failed, succeeded, approval');
    const r4 = registry.resolve('/cancel');
    expect(r4.kind === 'invalid' && r4.problems.join()).toContain('<run> is required');
    const r5 = registry.resolve('/status r-1 extra');
    expect(r5.kind === 'invalid' && r5.problems.join()).toContain('unexpected "extra"');
    const r6 = registry.resolve('/status lr=1');
    expect(r6.kind === 'invalid' && r6.problems.join()).toContain('takes no key=value');
  });

  it('parses typed arguments for a valid command', () => {
    const r = registry.resolve('/train fashion-cnn --branch feature/x lr=0.01');
    expect(r).toMatchObject({ kind: 'ok', args: { positionals: { model: 'fashion-cnn' }, flags: { branch: 'feature/x' }, params: { lr: '0.01' } } });
    expect(registry.resolve('/status 42')).toMatchObject({ kind: 'ok', args: { positionals: { run: 'r-42' } } });
    expect(registry.resolve('/cancel R-7')).toMatchObject({ kind: 'ok', args: { positionals: { run: 'r-7' } } });
    const logs = registry.resolve('/logs r-42 --lines 50');
    expect(logs).toMatchObject({ kind: 'ok', args: { flags: { lines: 50 } } });
  });

  it('shows the caller and their roles with /whoami', async () => {
    const reply = await registry.execute('/whoami', commandContext(registry));
    expect(text(reply)).toContain('Alex Wilber');
    expect(text(reply)).toContain('trainer, approver, admin');
  });
});
