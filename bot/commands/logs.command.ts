import { z } from 'zod';
import { defineCommand } from './command-spec';
import { noParams, positiveInt, runId } from './args';

export const logsCommand = defineCommand({
  id: 'logs',
  summary: 'Show the last log lines of a run\'s current or failed stage.',
  usage: '/logs <run> [--lines <n>]',
  examples: ['/logs r-42', '/logs r-42 --lines 50'],
  positionals: [{ name: 'run', description: 'run id', required: true }],
  flags: { lines: { description: 'how many lines (1-200, default 20)', valueName: 'n' } },
  args: z.object({ positionals: z.object({ run: runId }), flags: z.object({ lines: positiveInt(200).optional() }), params: noParams }),
  sideEffects: false,
  roles: [],
  status: 'planned',
});
