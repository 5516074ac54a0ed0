import { z } from 'zod';
import { defineCommand } from './command-spec';
import { noFlags, noParams, runId } from './args';

export const statusCommand = defineCommand({
  id: 'status',
  summary: 'Show the state of a run (default: your latest run).',
  usage: '/status [run]',
  examples: ['/status', '/status r-42'],
  positionals: [{ name: 'run', description: 'run id, e.g. r-42' }],
  flags: {},
  args: z.object({ positionals: z.object({ run: runId.optional() }), flags: noFlags, params: noParams }),
  sideEffects: false,
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const id = positionals.run;
    // A run named by id is read through the card writer: the same frozen record while the store is unchanged.
    const run = id ? await wf.cards.stored(id) : (await wf.runs.listRuns({ requesterId: ctx.user.id, limit: 1 }))[0];
    if (!run) return { kind: 'text', text: id ? `There is no run ${id}.` : 'You have no runs yet. Start one with **/train**.' };
    return { kind: 'card', summary: `Run ${run.id}: ${run.status.replace('_', ' ')}`, card: await wf.cards.card(run) };
  },
});
