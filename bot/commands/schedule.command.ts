import { z } from 'zod';
import { ScheduleError } from '../../services/schedule/schedule.service';
import type { ScheduleRecord } from '../../services/schedule/schedule.store';
import { defineCommand, type CommandContext, type CommandReply } from './command-spec';
import type { Forbidden } from '../../services/auth/authorizer';
import { refusalWords } from '../views/refusal-words';
import { modelName, noFlags, noParams } from './args';

const when = (iso: string, tz: string): string => `${new Intl.DateTimeFormat('en-GB', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))} ${tz}`;
export const describeSchedule = (s: ScheduleRecord): string => `${s.model}: "${s.cron}" (${s.timeZone}), next ${when(s.nextDue, s.timeZone)}, owner ${s.owner.name}`;

/** A schedule starts runs in its owner's name: the train role is checked now, refusals audited like the engine's. */
async function refuse(ctx: CommandContext, action: string, forbidden: Forbidden): Promise<CommandReply> {
  await ctx.workflow.runs.appendAudit({ at: new Date(ctx.workflow.now()).toISOString(), actor: ctx.user.id, action, outcome: 'refused', detail: { reason: 'forbidden', model: forbidden.model, needs: forbidden.needs } });
  return { kind: 'text', text: refusalWords(forbidden) };
}

export const scheduleCommand = defineCommand({
  id: 'schedule',
  summary: 'Retrain a model on a cron schedule (in a time zone), or list the schedules.',
  usage: '/schedule [model "cron"] [--tz zone]',
  examples: ['/schedule', '/schedule fashion-cnn "0 2 * * *" --tz Europe/Paris'],
  positionals: [
    { name: 'model', description: 'model name (none: list the schedules)' },
    { name: 'cron', description: '5-field cron expression in quotes: minute hour day month weekday' },
  ],
  flags: { tz: { description: 'IANA time zone of the expression (default UTC)', valueName: 'zone' } },
  args: z.object({
    positionals: z.object({ model: modelName.optional(), cron: z.string().max(100).optional() }),
    flags: z.object({ tz: z.string().max(64).optional() }),
    params: noParams,
  }),
  sideEffects: true,
  action: 'train',
  run: async ({ positionals, flags }, ctx) => {
    const schedules = ctx.workflow.schedules;
    if (!schedules) return { kind: 'text', text: 'Schedules are not available here.' };
    if (!positionals.model) {
      const list = await schedules.list();
      return { kind: 'text', text: list.length ? `Retraining schedules:\n\n${list.map((s) => `- ${describeSchedule(s)}`).join('\n')}` : 'No model is retrained on a schedule. Add one with /schedule <model> "<cron>" --tz <zone>.' };
    }
    if (!positionals.cron) return { kind: 'text', text: `Give the cron expression in quotes, e.g. /schedule ${positionals.model} "0 2 * * *" --tz Europe/Paris. Nothing was changed.` };
    // The owner becomes the runs' requester: the same role check as /train, now.
    const forbidden = await ctx.auth.check(ctx.user, 'train', positionals.model);
    if (forbidden) return refuse(ctx, 'schedule.set', forbidden);
    try {
      const saved = await schedules.set(positionals.model, positionals.cron, flags.tz ?? 'UTC', ctx.user, ctx.conversation.id);
      await ctx.workflow.runs.appendAudit({ at: new Date(ctx.workflow.now()).toISOString(), actor: ctx.user.id, action: 'schedule.set', outcome: 'ok', detail: { model: saved.model, cron: saved.cron, timeZone: saved.timeZone } });
      return { kind: 'text', text: `Scheduled: ${describeSchedule(saved)}. Runs start as yours and post their card here.` };
    } catch (e) {
      if (e instanceof ScheduleError) return { kind: 'text', text: `${e.message}. Nothing was changed.` };
      throw e;
    }
  },
});

export const unscheduleCommand = defineCommand({
  id: 'unschedule',
  summary: 'Stop retraining a model on a schedule.',
  usage: '/unschedule <model>',
  examples: ['/unschedule fashion-cnn'],
  positionals: [{ name: 'model', description: 'model name', required: true }],
  flags: {},
  args: z.object({ positionals: z.object({ model: modelName }), flags: noFlags, params: noParams }),
  sideEffects: true,
  action: 'train',
  run: async ({ positionals }, ctx) => {
    const schedules = ctx.workflow.schedules;
    if (!schedules) return { kind: 'text', text: 'Schedules are not available here.' };
    const forbidden = await ctx.auth.check(ctx.user, 'train', positionals.model);
    if (forbidden) return refuse(ctx, 'schedule.remove', forbidden);
    const removed = await schedules.remove(positionals.model);
    await ctx.workflow.runs.appendAudit({ at: new Date(ctx.workflow.now()).toISOString(), actor: ctx.user.id, action: 'schedule.remove', outcome: removed ? 'ok' : 'refused', detail: { model: positionals.model } });
    return { kind: 'text', text: removed ? `${positionals.model} is no longer retrained on a schedule.` : `${positionals.model} had no schedule. Nothing was changed.` };
  },
});

