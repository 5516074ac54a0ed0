import { z } from 'zod';
import { runCard } from '../../cards/run.card';
import { refusalWords } from '../views/refusal-words';
import { runCardView } from '../views/run-views';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';
import { isReply, resolveModel } from './workflow-context';

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
  action: 'deploy',
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    const result = await wf.engine.startDeploy({ model: resolved.model, ...(positionals.version ? { version: positionals.version } : {}), requester: ctx.user, conversationId: ctx.conversation.id });
    if (!result.ok) return { kind: 'text', text: refusalWords(result.refusal) };
    return { kind: 'card', summary: `Deploy ${result.run.id} of ${resolved.model} started`, card: runCard(runCardView(result.run, wf.now())), runCardOf: result.run.id };
  },
});
