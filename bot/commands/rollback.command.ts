import { z } from 'zod';
import { refusalWords } from '../views/refusal-words';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';
import { envName } from '../../services/config/environment.schema';
import { isReply, resolveModel } from './workflow-context';

export const rollbackCommand = defineCommand({
  id: 'rollback',
  summary: 'Redeploy the version that was live before the current one in an environment (goes through its approval).',
  usage: '/rollback <model> [--env <environment>]',
  examples: ['/rollback fashion-cnn', '/rollback fashion-cnn --env staging'],
  positionals: [{ name: 'model', description: 'model name', required: true }],
  flags: { env: { description: 'environment (default: the last, e.g. production)', valueName: 'environment' } },
  args: z.object({ positionals: z.object({ model: modelName }), flags: z.object({ env: envName.optional() }), params: noParams }),
  sideEffects: true,
  action: 'rollback',
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    const result = await wf.engine.startRollback({ model: resolved.model, ...(flags.env ? { env: flags.env } : {}), requester: ctx.user, conversationId: ctx.conversation.id });
    if (!result.ok) return { kind: 'text', text: refusalWords(result.refusal) };
    return { kind: 'card', summary: result.message, card: await wf.cards.card(result.run), runCardOf: result.run.id };
  },
});
