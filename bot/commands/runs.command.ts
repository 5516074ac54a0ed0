import { z } from 'zod';
import { listCard } from '../../cards/list.card';
import { stageName } from '../../cards/views';
import { currentStage } from '../../services/workflow/run.types';
import { formatTime } from '../views/run-views';
import { defineCommand } from './command-spec';
import { modelName, noParams, positiveInt } from './args';

export const runsCommand = defineCommand({
  id: 'runs',
  summary: 'List recent runs, optionally of one model.',
  usage: '/runs [model] [--limit <n>]',
  examples: ['/runs', '/runs fashion-cnn --limit 20'],
  positionals: [{ name: 'model', description: 'model name' }],
  flags: { limit: { description: 'how many runs to list (1-50, default 10)', valueName: 'n' } },
  args: z.object({ positionals: z.object({ model: modelName.optional() }), flags: z.object({ limit: positiveInt(50).optional() }), params: noParams }),
  sideEffects: false,
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    const limit = flags.limit ?? 10;
    const runs = await wf.runs.listRuns({ ...(positionals.model ? { model: positionals.model } : {}), limit });
    return {
      kind: 'card',
      summary: `${runs.length} recent runs`,
      card: listCard({
        title: positionals.model ? `Runs of ${positionals.model}` : 'Recent runs',
        rows: runs.map((r) => {
          const stage = currentStage(r);
          return {
            title: `${r.id} · ${r.model}${r.registered?.version ? ` v${r.registered?.version}` : ''}`,
            status: r.status.replace('_', ' '),
            facts: [
              { title: 'Requested by', value: r.requester.name },
              { title: 'Started', value: formatTime(r.createdAt) },
              ...(stage ? [{ title: 'Now', value: `${stageName(stage.id)}${stage.detail ? `: ${stage.detail}` : ''}` }] : []),
              ...(r.failure ? [{ title: 'Failed', value: r.failure.message }] : []),
            ],
          };
        }),
        emptyText: 'No runs yet. Start one with /train.',
        footer: `Showing up to ${limit}. /status <run> shows one run's card.`,
      }),
    };
  },
});
