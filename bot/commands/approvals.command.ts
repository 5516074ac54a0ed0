import { z } from 'zod';
import { defineCommand } from './command-spec';
import { noFlags, noParams } from './args';

export const approvalsCommand = defineCommand({
  id: 'approvals',
  summary: 'List the approvals waiting for you.',
  usage: '/approvals',
  examples: ['/approvals'],
  positionals: [],
  flags: {},
  args: z.object({ positionals: z.object({}), flags: noFlags, params: noParams }),
  sideEffects: false,
  roles: [],
  status: 'planned',
});
