import { z } from 'zod';
import { commandHelpCard, helpCard } from '../../cards/help.card';
import { closest } from './command-parser';
import { accessWords } from '../views/refusal-words';
import { defineCommand } from './command-spec';
import { noFlags, noParams } from './args';

export const helpCommand = defineCommand({
  id: 'help',
  summary: 'Show the commands, or the usage of one command.',
  usage: '/help [command]',
  examples: ['/help', '/help train'],
  positionals: [{ name: 'command', description: 'a command name, e.g. train' }],
  flags: {},
  args: z.object({ positionals: z.object({ command: z.string().optional() }), flags: noFlags, params: noParams }),
  sideEffects: false,
  run: async ({ positionals }, ctx) => {
    const specs = ctx.registry.specs();
    if (!positionals.command) {
      return {
        kind: 'card',
        summary: 'MLOps ChatOps commands',
        card: helpCard({ commands: specs.map((s) => ({ usage: s.usage, summary: s.summary })) }),
      };
    }
    const spec = ctx.registry.get(positionals.command);
    if (!spec) {
      const suggestion = closest(positionals.command.replace(/^\//, ''), specs.map((s) => s.id));
      return { kind: 'text', text: `There is no command "${positionals.command}".${suggestion ? ` Did you mean **/${suggestion}**?` : ''} Type **/help** for the list.` };
    }
    return {
      kind: 'card',
      summary: `/${spec.id}: ${spec.summary}`,
      card: commandHelpCard({
        id: spec.id,
        usage: spec.usage,
        summary: spec.summary,
        arguments: [
          ...spec.positionals.map((p) => ({ name: `<${p.name}>`, description: `${p.description}${p.required ? '' : ' (optional)'}` })),
          ...Object.entries(spec.flags).map(([name, f]) => ({ name: `--${name}${f.boolean ? '' : ` <${f.valueName ?? 'value'}>`}`, description: f.description })),
          ...(spec.params ? [{ name: 'key=value', description: spec.params }] : []),
        ],
        examples: spec.examples,
        access: accessWords(spec.action),
      }),
    };
  },
});
