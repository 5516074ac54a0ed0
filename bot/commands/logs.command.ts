import { z } from 'zod';
import { stageName } from '../../cards/views';
import { currentStage } from '../../services/workflow/run.types';
import { defineCommand } from './command-spec';
import { noParams, positiveInt, runId } from './args';

export const logsCommand = defineCommand({
  id: 'logs',
  summary: 'Show the last log lines of a run\'s failed stage, or where its logs are.',
  usage: '/logs <run> [--lines <n>]',
  examples: ['/logs r-42', '/logs r-42 --lines 50'],
  positionals: [{ name: 'run', description: 'run id', required: true }],
  flags: { lines: { description: 'how many lines (1-200, default 20)', valueName: 'n' } },
  args: z.object({ positionals: z.object({ run: runId }), flags: z.object({ lines: positiveInt(200).optional() }), params: noParams }),
  sideEffects: false,
  run: async ({ positionals, flags }, ctx) => {
    const wf = ctx.workflow;
    const id = positionals.run;
    const run = await wf.runs.getRun(id);
    if (!run) return { kind: 'text', text: `There is no run ${id}.` };
    if (run.failure) {
      const lines = run.failure.logTail.slice(-(flags.lines ?? 20));
      const title = `${stageName(run.failure.stage)} (${run.failure.system}) of ${run.id}: ${run.failure.message}`;
      // A fenced block keeps log text literal in Teams (no Markdown, no mentions).
      return { kind: 'text', text: lines.length ? `${title}\n\n\`\`\`\n${lines.join('\n').replace(/```/g, "'''")}\n\`\`\`` : `${title}\n\nThe service returned no log lines.` };
    }
    const links = run.stages.filter((s) => s.link).map((s) => `• ${stageName(s.id)}: ${s.link ?? ''}`);
    const stage = currentStage(run);
    return { kind: 'text', text: `Run ${run.id} has not failed${stage ? ` (now: ${stageName(stage.id)})` : ''}. Its logs are in the systems that run it:\n\n${links.join('\n\n') || 'no links yet'}` };
  },
});
