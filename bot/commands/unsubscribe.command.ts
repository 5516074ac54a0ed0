import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';

export const unsubscribeCommand = defineCommand({
  id: 'unsubscribe',
  summary: 'Stop sending a model\'s events (or all) to this conversation.',
  usage: '/unsubscribe [model]',
  examples: ['/unsubscribe', '/unsubscribe fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name (default: all)' }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName.optional() }), flags: noFlags, params: noParams }),
  sideEffects: true,
  roles: [],
  status: 'planned',
});
