import { z } from 'zod';
import { defineCommand } from './command-spec';
import { modelName, noFlags, noParams } from './args';

export const unsubscribeCommand = defineCommand({
  id: 'unsubscribe',
  summary: 'Stop sending a model\'s events (or all) to this conversation.',
  usage: '/unsubscribe [model]',
  examples: ['/unsubscribe', '/unsubscribe fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name (default: all)' }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName.optional() }), flags: noFlags, params: noParams }),
  sideEffects: true,
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const n = await wf.runs.removeSubscription(ctx.conversation.id, positionals.model);
    await wf.runs.appendAudit({ at: new Date(wf.now()).toISOString(), actor: ctx.user.id, action: 'unsubscribe', outcome: 'ok', detail: { conversationId: ctx.conversation.id, model: positionals.model ?? '*', removed: n } });
    return { kind: 'text', text: n ? `Removed ${n} subscription${n > 1 ? 's' : ''} of this conversation.` : 'This conversation had no such subscription. Nothing was changed.' };
  },
});
