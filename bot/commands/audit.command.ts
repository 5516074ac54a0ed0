import { z } from 'zod';
import { listCard } from '../../cards/list.card';
import { formatTime } from '../views/run-views';
import { defineCommand } from './command-spec';
import { noFlags, noParams, runId } from './args';

export const auditCommand = defineCommand({
  id: 'audit',
  summary: 'Show who did what and when, for a run or overall.',
  usage: '/audit [run]',
  examples: ['/audit', '/audit r-42'],
  positionals: [{ name: 'run', description: 'run id' }],
  flags: {},
  args: z.object({ positionals: z.object({ run: runId.optional() }), flags: noFlags, params: noParams }),
  sideEffects: false,
  run: async ({ positionals }, ctx) => {
    const wf = ctx.workflow;
    const id = positionals.run;
    const entries = await wf.runs.listAudit({ ...(id ? { runId: id } : {}), limit: 25 });
    return {
      kind: 'card',
      summary: `Audit${id ? ` of ${id}` : ''}`,
      card: listCard({
        title: id ? `Audit of ${id}` : 'Audit log',
        rows: entries.map((e) => ({
          title: `${e.action}${e.runId && !id ? ` · ${e.runId}` : ''}`,
          status: e.outcome,
          facts: [
            { title: 'When', value: formatTime(e.at) },
            { title: 'Who', value: e.actor },
            ...Object.entries(e.detail)
              .filter(([, v]) => v !== undefined && v !== null && v !== '')
              .slice(0, 4)
              .map(([k, v]) => ({ title: k, value: typeof v === 'string' ? v : JSON.stringify(v) })),
          ],
        })),
        emptyText: 'Nothing recorded yet.',
        footer: 'The 25 newest entries.',
      }),
    };
  },
});
