import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';

export const rollbackCommand = defineCommand({
  id: 'rollback',
  summary: 'Redeploy the previous production version of a model.',
  usage: '/rollback <model>',
  examples: ['/rollback fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName }), flags: noFlags, params: noParams }),
  sideEffects: true,
  roles: ['approver'],
  status: 'planned',
});
