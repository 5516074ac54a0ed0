import { z } from 'zod';
import { subscriptionTarget } from '../../services/watch/watch.types';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';
import { pipelineOrJob } from './subscribe.command';

export const unsubscribeCommand = defineCommand({
  id: 'unsubscribe',
  summary: 'Stop sending a model\'s, a pipeline\'s or a job\'s events (or all) to this conversation.',
  usage: '/unsubscribe [model] [--pipeline id|name] [--job id|name]',
  examples: ['/unsubscribe', '/unsubscribe fashion-cnn', '/unsubscribe --pipeline mlops-ci'],
  positionals: [{ name: 'model', description: 'model name (default: all)' }],
  flags: {
    pipeline: { description: 'the Azure DevOps pipeline, as given to /subscribe', valueName: 'id|name' },
    job: { description: 'the Databricks job, as given to /subscribe', valueName: 'id|name' },
  },
  args: z.object({ positionals: z.object({ model: modelName.optional() }), flags: z.object({ pipeline: pipelineOrJob.optional(), job: pipelineOrJob.optional() }), params: noParams }),
  sideEffects: true,
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    if ([positionals.model, flags.pipeline, flags.job].filter((x) => x !== undefined).length > 1) return { kind: 'text', text: 'Name one model, one --pipeline or one --job per /unsubscribe. Nothing was changed.' };
    const target = flags.pipeline !== undefined ? subscriptionTarget('azure-devops', flags.pipeline) : flags.job !== undefined ? subscriptionTarget('databricks', flags.job) : positionals.model;
    const n = await wf.runs.removeSubscription(ctx.conversation.id, target);
    await wf.runs.appendAudit({ at: new Date(wf.now()).toISOString(), actor: ctx.user.id, action: 'unsubscribe', outcome: 'ok', detail: { conversationId: ctx.conversation.id, model: target ?? '*', removed: n } });
    return { kind: 'text', text: n ? `Removed ${n} subscription${n > 1 ? 's' : ''} of this conversation.` : 'This conversation had no such subscription. Nothing was changed.' };
  },
});
