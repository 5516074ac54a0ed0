import { z } from 'zod';
import { defineCommand } from './command-spec';
import { noFlags, noParams, runId } from './args';
import { isReply, workflowOf } from './workflow-context';

export const cancelCommand = defineCommand({
  id: 'cancel',
  summary: 'Cancel a run in flight (its Azure DevOps or Databricks run).',
  usage: '/cancel <run>',
  examples: ['/cancel r-42'],
  positionals: [{ name: 'run', description: 'run id', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ run: runId }), flags: noFlags, params: noParams }),
  sideEffects: true,
  roles: ['trainer'],
  status: 'available',
  run: async ({ positionals }, ctx) => {
    const wf = workflowOf(ctx);
    if (isReply(wf)) return wf;
    const id = positionals.run;
    const result = await wf.engine.cancel(id, ctx.user);
    return { kind: 'text', text: result.message };
  },
});
