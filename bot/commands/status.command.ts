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
  roles: [],
  status: 'planned',
});
