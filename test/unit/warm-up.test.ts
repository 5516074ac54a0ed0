import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import approvalTemplate from '../../cards/templates/approval.json';
import runTemplate from '../../cards/templates/run.json';
import { CARD_TEMPLATES } from '../../cards/card-templates';
import { isCompiled, precompile } from '../../cards/render';
import { scheduleWarmUp } from '../../bot/warm-up';
import { createLogger } from '../../services/logger';

const quiet = createLogger('error', {}, () => undefined);

describe('scheduleWarmUp', () => {
  it('runs every task in order, each in its own event-loop turn, and goes on after a failing one', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('warn', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const ran: string[] = [];
    const w = scheduleWarmUp(
      [
        { name: 'a', run: () => void ran.push('a') },
        { name: 'b', run: () => { ran.push('b'); throw new Error('boom'); } },
        { name: 'c', run: () => void ran.push('c') },
      ],
      { delayMs: 0, logger },
    );
    // Something queued for the event loop while the warm-up runs gets in between two tasks.
    await new Promise<void>((resolve) => setTimeout(() => {
      ran.push('timer');
      resolve();
    }, 0));
    await w.done;
    expect(ran.filter((r) => r !== 'timer')).toEqual(['a', 'b', 'c']);
    expect(ran.indexOf('timer')).toBeLessThan(ran.length - 1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'warm-up task failed', task: 'b' })]);
  });

  it('runs nothing once canceled, and settles', async () => {
    const ran: string[] = [];
    const w = scheduleWarmUp([{ name: 'a', run: () => void ran.push('a') }], { delayMs: 0, logger: quiet });
    w.cancel();
    await w.done;
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toEqual([]);
  });

  it('runs a task only while nothing is busy, and goes on once idle', async () => {
    const ran: string[] = [];
    let busy = true;
    let looks = 0;
    const w = scheduleWarmUp(
      [{ name: 'a', run: () => void ran.push('a') }, { name: 'b', run: () => void ran.push('b') }],
      { delayMs: 0, retryMs: 1, logger: quiet, busy: () => (looks++, busy) },
    );
    // Wait on the condition: the warm-up has looked (and found the bot busy) a few times.
    while (looks < 3) await new Promise((r) => setTimeout(r, 1));
    expect(ran).toEqual([]);
    busy = false;
    await w.done;
    expect(ran).toEqual(['a', 'b']);
  });

  it('waits its delay before the first task', async () => {
    const ran: string[] = [];
    const w = scheduleWarmUp([{ name: 'a', run: () => void ran.push('a') }], { delayMs: 60_000, logger: quiet });
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([]);
    w.cancel();
  });
});

describe('card templates warm-up', () => {
  it('lists the approval and run cards first, and every template of cards/templates once', () => {
    expect(CARD_TEMPLATES[0]).toBe(approvalTemplate);
    expect(CARD_TEMPLATES[1]).toBe(runTemplate);
    const dir = join(__dirname, '../../cards/templates');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same module objects the cards import
    const all = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => require(join(dir, f)) as object);
    expect(new Set(CARD_TEMPLATES)).toEqual(new Set(all));
    expect(CARD_TEMPLATES).toHaveLength(all.length);
  });

  it('leaves every template compiled', async () => {
    expect(CARD_TEMPLATES.some((t) => isCompiled(t))).toBe(false);
    const w = scheduleWarmUp(CARD_TEMPLATES.map((t) => ({ name: 'card template', run: () => precompile(t) })), { delayMs: 0, logger: quiet });
    await w.done;
    expect(CARD_TEMPLATES.filter((t) => !isCompiled(t))).toEqual([]);
  });
});
