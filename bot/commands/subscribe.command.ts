import { z } from 'zod';
import { subscriptionTarget } from '../../services/watch/watch.types';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';

const EVENTS = ['failed', 'succeeded', 'approval'] as const;
/** A pipeline or job by id or by name (names as Azure DevOps and Databricks allow them, without control characters). */
export const pipelineOrJob = z.string().trim().min(1).max(200).refine((v) => ![...v].some((c) => c.charCodeAt(0) < 32), 'a pipeline or job id or name, without control characters');

export const subscribeCommand = defineCommand({
  id: 'subscribe',
  summary: 'Send a model\'s run events, or a pipeline\'s or Databricks job\'s (however started), to this conversation.',
  usage: '/subscribe [model] [--pipeline id|name] [--job id|name] [--events failed,succeeded,approval]',
  examples: ['/subscribe fashion-cnn', '/subscribe --events failed,approval', '/subscribe --pipeline mlops-ci', '/subscribe --job 11223344 --events failed,succeeded'],
  positionals: [{ name: 'model', description: 'model name (default: all models and every watched pipeline and job)' }],
  flags: {
    events: { description: 'comma-separated: failed, succeeded, approval (default: failed)', valueName: 'list' },
    pipeline: { description: 'an Azure DevOps pipeline (id or name): its runs started anywhere (UI, schedule, PR)', valueName: 'id|name' },
    job: { description: 'a Databricks job (id or name): its runs started anywhere', valueName: 'id|name' },
  },
  args: z.object({
    positionals: z.object({ model: modelName.optional() }),
    flags: z.object({
      events: z
        .string()
        .transform((s) => s.split(',').map((e) => e.trim()).filter(Boolean))
        .pipe(z.array(z.enum(EVENTS, { error: `events are ${EVENTS.join(', ')}` })).min(1))
        .optional(),
      pipeline: pipelineOrJob.optional(),
      job: pipelineOrJob.optional(),
    }),
    params: noParams,
  }),
  sideEffects: true,
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    const named = [positionals.model, flags.pipeline, flags.job].filter((x) => x !== undefined);
    if (named.length > 1) return { kind: 'text', text: 'Name one model, one --pipeline or one --job per /subscribe. Nothing was changed.' };
    if (positionals.model && !(positionals.model in ctx.config.mlops.models)) return { kind: 'text', text: `There is no model "${positionals.model}". Nothing was changed.` };
    const events = [...new Set<(typeof EVENTS)[number]>(flags.events ?? ['failed'])];
    const external = flags.pipeline !== undefined ? subscriptionTarget('azure-devops', flags.pipeline) : flags.job !== undefined ? subscriptionTarget('databricks', flags.job) : undefined;
    if (external && events.includes('approval')) return { kind: 'text', text: 'Pipelines and jobs have failed and succeeded events; approvals belong to models. Nothing was changed.' };
    const target = external ?? positionals.model ?? '*';
    await wf.runs.putSubscription({ conversationId: ctx.conversation.id, model: target, events });
    await wf.runs.appendAudit({ at: new Date(wf.now()).toISOString(), actor: ctx.user.id, action: 'subscribe', outcome: 'ok', detail: { conversationId: ctx.conversation.id, model: target, events } });
    const what = flags.pipeline !== undefined ? `pipeline ${flags.pipeline} (however it is started)` : flags.job !== undefined ? `Databricks job ${flags.job} (however it is started)` : (positionals.model ?? 'every model and every watched pipeline and job');
    return { kind: 'text', text: `This conversation now gets ${events.join(', ')} events of ${what}.` };
  },
});
