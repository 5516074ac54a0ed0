import { z } from 'zod';
import { defineCommand } from './command-spec';
import { gitRef, modelName, noParams } from './args';

export const trainCommand = defineCommand({
  id: 'train',
  summary: 'Start a training run: CI pipeline, Databricks training, registry, approval, ACI deploy.',
  usage: '/train [model] [--branch <branch>] [key=value ...]',
  examples: ['/train', '/train fashion-cnn --branch main lr=0.01 epochs=5'],
  positionals: [{ name: 'model', description: 'model from mlops.config.yaml (default: the configured default model)' }],
  flags: { branch: { description: 'git branch to build and train from', valueName: 'branch' } },
  params: 'training parameters declared for the model, e.g. lr=0.01 epochs=5',
  args: z.object({
    positionals: z.object({ model: modelName.optional() }),
    flags: z.object({ branch: gitRef.optional() }),
    params: noParams,
  }),
  sideEffects: true,
  roles: ['trainer'],
  status: 'planned',
});
