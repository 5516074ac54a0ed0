import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noParams } from './args';

const EVENTS = ['failed', 'succeeded', 'approval'] as const;

export const subscribeCommand = defineCommand({
  id: 'subscribe',
  summary: 'Send a model\'s run events to this conversation.',
  usage: '/subscribe [model] [--events failed,succeeded,approval]',
  examples: ['/subscribe fashion-cnn', '/subscribe --events failed,approval'],
  positionals: [{ name: 'model', description: 'model name (default: all models)' }],
  flags: { events: { description: 'comma-separated: failed, succeeded, approval (default: failed)', valueName: 'list' } },
  args: z.object({
    positionals: z.object({ model: modelName.optional() }),
    flags: z.object({
      events: z
        .string()
        .transform((s) => s.split(',').map((e) => e.trim()).filter(Boolean))
        .pipe(z.array(z.enum(EVENTS, { error: `events are ${EVENTS.join(', ')}` })).min(1))
        .optional(),
    }),
    params: noParams,
  }),
  sideEffects: true,
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    if (positionals.model && !(positionals.model in ctx.config.mlops.models)) return { kind: 'text', text: `There is no model "${positionals.model}". Nothing was changed.` };
    const events = [...new Set<(typeof EVENTS)[number]>(flags.events ?? ['failed'])];
    await wf.runs.putSubscription({ conversationId: ctx.conversation.id, model: positionals.model ?? '*', events });
    await wf.runs.appendAudit({ at: new Date(wf.now()).toISOString(), actor: ctx.user.id, action: 'subscribe', outcome: 'ok', detail: { conversationId: ctx.conversation.id, model: positionals.model ?? '*', events } });
    return { kind: 'text', text: `This conversation now gets ${events.join(', ')} events of ${positionals.model ?? 'every model'}.` };
  },
});
