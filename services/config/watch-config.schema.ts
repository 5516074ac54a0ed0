import { z } from 'zod';

/**
 * `watch:` in mlops.config.yaml — pipelines and jobs the team runs outside the bot, whose
 * failures the bot reports (docs/watching.md). A pipeline or job is named by id or by name.
 */
const durationRe = /^(\d+)\s*(s|m|h|d)$/;
const duration = z
  .string()
  .regex(durationRe, 'a duration such as 30s, 2m, 6h or 1d')
  .transform((v) => {
    const m = durationRe.exec(v);
    return Number(m?.[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m?.[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  });
const idOrName = z.union([z.number().int().positive(), z.string().trim().min(1, 'a pipeline or job id (number) or its name, not empty').max(200)], { error: 'a pipeline or job id (number) or its name' });
const model = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a model name of models:').optional();

export const watchConfigSchema = z
  .object({
    pipelines: z.array(z.object({ pipeline: idOrName, model })).default([]),
    jobs: z.array(z.object({ job: idOrName, model })).default([]),
    /** How often the poller lists finished runs (the net under the webhooks). */
    pollEvery: duration.default(120_000),
    /** Databricks lists runs by start time: runs that started up to this long before the last pass are still seen. */
    lookback: duration.default(12 * 3_600_000),
    /** List calls per poll pass, per service. */
    maxListCallsPerPass: z.number().int().min(1).max(20).default(4),
    webhooks: z
      .object({
        /** The bot's public base URL; with `create: true` the bot subscribes itself at start-up. */
        publicUrl: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL such as https://mlops-bot.contoso.com').optional(),
        create: z.boolean().default(false),
        databricksDestinationName: z.string().min(1).default('mlops-chatops'),
        /** An existing destination's id (made by a workspace admin): the bot's training runs report to it. */
        databricksDestinationId: z.string().min(1).optional(),
      })
      .default({ create: false, databricksDestinationName: 'mlops-chatops' }),
  })
  .default({ pipelines: [], jobs: [], pollEvery: 120_000, lookback: 12 * 3_600_000, maxListCallsPerPass: 4, webhooks: { create: false, databricksDestinationName: 'mlops-chatops' } });

export type WatchConfig = z.infer<typeof watchConfigSchema>;
