import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';

export const deployCommand = defineCommand({
  id: 'deploy',
  summary: 'Deploy a registered model version to ACI (goes through approval).',
  usage: '/deploy <model> [version]',
  examples: ['/deploy fashion-cnn', '/deploy fashion-cnn 7'],
  positionals: [
    { name: 'model', description: 'model name', required: true },
    { name: 'version', description: 'registry version (default: latest)' },
  ],
  flags: {},
  args: z.object({
    positionals: z.object({ model: modelName, version: z.string().regex(/^\d{1,9}$/, 'a version is a number such as 7').optional() }),
    flags: noFlags,
    params: noParams,
  }),
  sideEffects: true,
  roles: ['trainer'],
  status: 'planned',
});
