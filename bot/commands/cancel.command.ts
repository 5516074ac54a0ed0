import { z } from 'zod';
import { refusalWords } from '../views/refusal-words';
import { defineCommand } from './command-spec';
import { noFlags, noParams, runId } from './args';

export const cancelCommand = defineCommand({
  id: 'cancel',
  summary: 'Cancel a run in flight (its Azure DevOps or Databricks run).',
  usage: '/cancel <run>',
  examples: ['/cancel r-42'],
  positionals: [{ name: 'run', description: 'run id', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ run: runId }), flags: noFlags, params: noParams }),
  sideEffects: true,
  action: 'cancel',
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const id = positionals.run;
    const result = await wf.engine.cancel(id, ctx.user);
    return { kind: 'text', text: result.ok ? result.message : refusalWords(result.refusal) };
  },
});
