import { z } from 'zod';
import { refusalWords } from '../views/refusal-words';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';
import { envName } from '../../services/config/environment.schema';
import { isReply, resolveModel } from './workflow-context';

export const deployCommand = defineCommand({
  id: 'deploy',
  summary: 'Deploy a registered model version to an environment in ACI (goes through its approval).',
  usage: '/deploy <model> [version] [--env <environment>]',
  examples: ['/deploy fashion-cnn', '/deploy fashion-cnn 7', '/deploy fashion-cnn 7 --env production'],
  positionals: [
    { name: 'model', description: 'model name', required: true },
    { name: 'version', description: 'registry version (default: latest)' },
  ],
  flags: { env: { description: 'environment (default: the first, e.g. staging); a later one takes only a version that passed the one before (default: the version live there)', valueName: 'environment' } },
  args: z.object({
    positionals: z.object({ model: modelName, version: z.string().regex(/^\d{1,9}$/, 'a version is a number such as 7').optional() }),
    flags: z.object({ env: envName.optional() }),
    params: noParams,
  }),
  sideEffects: true,
  action: 'deploy',
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    const result = await wf.engine.startDeploy({ model: resolved.model, ...(positionals.version ? { version: positionals.version } : {}), ...(flags.env ? { env: flags.env } : {}), requester: ctx.user, conversationId: ctx.conversation.id });
    if (!result.ok) return { kind: 'text', text: refusalWords(result.refusal) };
    return { kind: 'card', summary: result.message, card: await wf.cards.card(result.run), runCardOf: result.run.id };
  },
});
