import { z } from 'zod';
import { trainFormCard } from '../../cards/train-form.card';
import { validateParameters } from '../../services/workflow/parameters';
import { refusalWords } from '../views/refusal-words';
import { trainFormView } from '../views/run-views';
import { defineCommand } from './command-spec';
import { gitRef, modelName, noParams } from './args';
import { isReply, resolveModel } from './workflow-context';

export const trainCommand = defineCommand({
  id: 'train',
  summary: 'Start a training run: CI pipeline, Databricks training, registry, ACI deploy (approvals as each environment requires).',
  usage: '/train [model] [--branch <branch>] [key=value ...]',
  examples: ['/train', '/train fashion-cnn --branch main lr=0.01 epochs=5'],
  positionals: [{ name: 'model', description: 'model from mlops.config.yaml (default: the configured default model)' }],
  flags: { branch: { description: 'git branch to build and train from', valueName: 'branch' } },
  params: 'training parameters declared for the model, e.g. lr=0.01 epochs=5',
  args: z.object({
    positionals: z.object({ model: modelName.optional() }),
    flags: z.object({ branch: gitRef.optional() }),
    params: noParams,
  }),
  sideEffects: true,
  action: 'train',
  run: async ({ positionals, flags, params }, ctx) => {
    const wf = ctx.workflow;
    const resolved = resolveModel(ctx, positionals.model);
    if (isReply(resolved)) return resolved;
    const { model } = resolved;
    if (!positionals.model && !flags.branch && Object.keys(params).length === 0) {
      return { kind: 'card', summary: `Train ${model}: choose the parameters`, card: trainFormCard(trainFormView(ctx.config, model)) };
    }
    const declared = ctx.config.mlops.models[model]?.parameters ?? {};
    const checked = validateParameters(declared, params);
    if (!checked.ok) {
      return { kind: 'text', text: `${Object.values(checked.errors).map((e) => `• ${e}`).join('\n\n')}\n\nNothing was started. Usage: \`/train [model] [--branch <branch>] [key=value ...]\`` };
    }
    const result = await wf.engine.startTrain({ model, params: checked.values, ...(flags.branch ? { branch: flags.branch } : {}), requester: ctx.user, conversationId: ctx.conversation.id });
    if (!result.ok) return { kind: 'text', text: refusalWords(result.refusal) };
    return { kind: 'card', summary: `Run ${result.run.id} of ${model} started`, card: await wf.cards.card(result.run), runCardOf: result.run.id };
  },
});
