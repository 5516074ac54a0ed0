import { z } from 'zod';
import { defineCommand } from './command-spec';
import { noFlags, noParams, runId } from './args';

export const auditCommand = defineCommand({
  id: 'audit',
  summary: 'Show who did what and when, for a run or overall.',
  usage: '/audit [run]',
  examples: ['/audit', '/audit r-42'],
  positionals: [{ name: 'run', description: 'run id' }],
  flags: {},
  args: z.object({ positionals: z.object({ run: runId.optional() }), flags: noFlags, params: noParams }),
  sideEffects: false,
  roles: [],
  status: 'planned',
});
