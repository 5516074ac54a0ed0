import { z } from 'zod';
import { runCard } from '../../cards/run.card';
import { runCardView } from '../views/run-views';
import { defineWorkflowCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';
import { isReply, resolveModel } from './workflow-context';

export const rollbackCommand = defineWorkflowCommand({
  id: 'rollback',
  summary: 'Redeploy the previous production version of a model (goes through approval).',
  usage: '/rollback <model>',
  examples: ['/rollback fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName }), flags: noFlags, params: noParams }),
  sideEffects: true,
  roles: ['approver'],
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    // Production history is the list of successful deploys, newest first.
    const live = (await wf.runs.listRuns({ model: resolved.model, limit: 200 })).filter((r) => r.status === 'succeeded' && r.ext.modelVersion);
    const current = live[0]?.ext.modelVersion;
    const previous = live.find((r) => r.ext.modelVersion !== current)?.ext.modelVersion;
    if (!current || !previous) return { kind: 'text', text: `There is no earlier production version of ${resolved.model} to roll back to. Nothing was changed.` };
    const run = await wf.engine.startDeploy({ model: resolved.model, version: previous, requester: ctx.user, conversationId: ctx.conversation.id, reason: 'rollback' });
    return { kind: 'card', summary: `Rollback of ${resolved.model} to version ${previous} (${run.id})`, card: runCard(runCardView(run, wf.now())), runCardOf: run.id };
  },
});
