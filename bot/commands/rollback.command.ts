import { z } from 'zod';
import { runCard } from '../../cards/run.card';
import { refusalWords } from '../views/refusal-words';
import { runCardView } from '../views/run-views';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';
import { isReply, resolveModel } from './workflow-context';

export const rollbackCommand = defineCommand({
  id: 'rollback',
  summary: 'Redeploy the previous production version of a model (goes through approval).',
  usage: '/rollback <model>',
  examples: ['/rollback fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName }), flags: noFlags, params: noParams }),
  sideEffects: true,
  action: 'rollback',
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    const result = await wf.engine.startRollback({ model: resolved.model, requester: ctx.user, conversationId: ctx.conversation.id });
    if (!result.ok) return { kind: 'text', text: refusalWords(result.refusal) };
    return { kind: 'card', summary: result.message, card: runCard(runCardView(result.run, wf.now())), runCardOf: result.run.id };
  },
});
