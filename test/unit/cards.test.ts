import { commandHelpCard, helpCard } from '../../cards/help.card';
import { welcomeCard } from '../../cards/welcome.card';
import { whoAmICard } from '../../cards/whoami.card';
import { createCommandRegistry } from '../../bot/commands';
import { commandContext } from '../support/context';
import { cardSizeBytes, validateCard } from '../support/card-schema';

const registry = createCommandRegistry();

/** Every card the bot can send today, in each state it can be in. */
async function everyCard(): Promise<Array<[string, unknown]>> {
  const cards: Array<[string, unknown]> = [];
  for (const spec of registry.specs()) {
    const reply = await registry.execute(`/help ${spec.id}`, commandContext(registry));
    if (reply.kind === 'card') cards.push([`help ${spec.id}`, reply.card]);
  }
  const help = await registry.execute('/help', commandContext(registry));
  if (help.kind === 'card') cards.push(['help', help.card]);
  const who = await registry.execute('/whoami', commandContext(registry));
  if (who.kind === 'card') cards.push(['whoami', who.card]);
  cards.push(['welcome (sandbox)', welcomeCard({ commands: [{ usage: '/train', summary: 'x' }], sandboxMode: true })]);
  cards.push(['welcome (azure)', welcomeCard({ commands: [{ usage: '/train', summary: 'x' }], sandboxMode: false })]);
  cards.push(['whoami without roles', whoAmICard({ name: 'N', teamsId: 't', aadObjectId: undefined, globalRoles: [], perModel: [] })]);
  return cards;
}

describe('cards', () => {
  it('produces a help card for every command and the overview', async () => {
    const cards = await everyCard();
    expect(cards.length).toBe(registry.specs().length + 5);
  });

  it('validates every card against the Adaptive Card 1.5 schema, within the size budget', async () => {
    for (const [name, card] of await everyCard()) {
      expect({ name, errors: validateCard(card) }).toEqual({ name, errors: [] });
      expect((card as { version: string }).version).toBe('1.5');
      expect(JSON.stringify(card)).not.toContain('${');
      expect(cardSizeBytes(card)).toBeLessThan(40_000);
    }
  });

  it('catches an invalid card (the validator can fail)', () => {
    expect(validateCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock' }] })).not.toEqual([]);
  });

  it('lists each command with its usage in the help card and shows sandbox mode on the welcome card', () => {
    const help = JSON.stringify(helpCard({ commands: [{ usage: '/a <run>', summary: 'does a' }, { usage: '/b', summary: 'does b' }] }));
    expect(help).toContain('/a \u2039run\u203a');
    expect(help).toContain('does b');
    expect(JSON.stringify(welcomeCard({ commands: [], sandboxMode: true }))).toContain('Sandbox mode');
    expect(JSON.stringify(welcomeCard({ commands: [], sandboxMode: false }))).not.toContain('Sandbox mode');
  });

  it('escapes user-controlled text so it cannot inject markdown or template syntax', () => {
    const card = JSON.stringify(whoAmICard({ name: '[click](https://evil) ${secret}', teamsId: 't', aadObjectId: undefined, globalRoles: [], perModel: [] }));
    expect(card).toContain('\\\\[click\\\\]\\\\(https://evil\\\\)');
    expect(card).toContain('$\\\\{secret\\\\}');
    const ch = commandHelpCard({ id: 'x', usage: '/x', summary: 's', arguments: [], examples: ['/x'], access: 'a' });
    expect(validateCard(ch)).toEqual([]);
  });
});
