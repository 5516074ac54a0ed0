import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';

const EVENTS = ['failed', 'succeeded', 'approval'] as const;

export const subscribeCommand = defineCommand({
  id: 'subscribe',
  summary: 'Send a model\'s run events to this conversation.',
  usage: '/subscribe [model] [--events failed,succeeded,approval]',
  examples: ['/subscribe fashion-cnn', '/subscribe --events failed,approval'],
  positionals: [{ name: 'model', description: 'model name (default: all models)' }],
  flags: { events: { description: 'comma-separated: failed, succeeded, approval (default: failed)', valueName: 'list' } },
  args: z.object({
    positionals: z.object({ model: modelName.optional() }),
    flags: z.object({
      events: z
        .string()
        .transform((s) => s.split(',').map((e) => e.trim()).filter(Boolean))
        .pipe(z.array(z.enum(EVENTS, { error: `events are ${EVENTS.join(', ')}` })).min(1))
        .optional(),
    }),
    params: noParams,
  }),
  sideEffects: true,
  roles: [],
  status: 'planned',
});
