import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noParams, positiveInt } from './args';

export const runsCommand = defineCommand({
  id: 'runs',
  summary: 'List recent runs, optionally of one model.',
  usage: '/runs [model] [--limit <n>]',
  examples: ['/runs', '/runs fashion-cnn --limit 20'],
  positionals: [{ name: 'model', description: 'model name' }],
  flags: { limit: { description: 'how many runs to list (1-50, default 10)', valueName: 'n' } },
  args: z.object({ positionals: z.object({ model: modelName.optional() }), flags: z.object({ limit: positiveInt(50).optional() }), params: noParams }),
  sideEffects: false,
  roles: [],
  status: 'planned',
});
