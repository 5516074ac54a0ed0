import { z } from 'zod';
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
  roles: ['trainer'],
  status: 'planned',
});
