import { z } from 'zod';
import { runCard } from '../../cards/run.card';
import { runCardView } from '../views/run-views';
import { defineWorkflowCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';
import { isReply, resolveModel } from './workflow-context';

export const deployCommand = defineWorkflowCommand({
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
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    if (!ctx.roles.has(ctx.user, 'trainer', resolved.model)) return { kind: 'text', text: `You are not a trainer for ${resolved.model}. Nothing was changed.` };
    const run = await wf.engine.startDeploy({ model: resolved.model, ...(positionals.version ? { version: positionals.version } : {}), requester: ctx.user, conversationId: ctx.conversation.id, reason: 'deploy' });
    return { kind: 'card', summary: `Deploy ${run.id} of ${resolved.model} started`, card: runCard(runCardView(run, wf.now())), runCardOf: run.id };
  },
});
