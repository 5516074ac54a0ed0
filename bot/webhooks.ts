import { createHash, timingSafeEqual } from 'node:crypto';
import { parseServiceHookEvent } from '../services/azure-devops/service-hook.parser';
import { parseDatabricksNotification } from '../services/databricks/databricks-notification.parser';
import type { Logger } from '../services/logger';
import type { RunEngine } from '../services/workflow/run-engine';
import type { RunStore } from '../services/workflow/run-store';
import { devopsRunOf, type RunRecord } from '../services/workflow/run.types';
import type { WatchService } from '../services/watch/watch.service';

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
}

export interface WebhookDeps {
  secret: string | undefined;
  /** Model by CD pipeline id, for relaying Azure DevOps environment approvals. */
  cdPipelines: ReadonlyMap<number, string>;
  runs: RunStore;
  engine: RunEngine;
  logger: Logger;
  /** Watching of runs the bot did not start (services/watch); absent when off. */
  watch?: Pick<WatchService, 'devopsRunFinished' | 'databricksRunFinished'>;
}

/**
 * The shared secret, as HTTP Basic password (what Azure DevOps service hooks and Databricks
 * notification destinations send) or as the X-Webhook-Secret header. Compared in constant time.
 */
export function hasSecret(secret: string, headers: Record<string, string | string[] | undefined>): boolean {
  const candidates: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    candidates.push(decoded.slice(decoded.indexOf(':') + 1));
  }
  const header = headers['x-webhook-secret'];
  if (typeof header === 'string') candidates.push(header);
  const want = createHash('sha256').update(secret).digest();
  return candidates.some((c) => timingSafeEqual(createHash('sha256').update(c).digest(), want));
}

/**
 * Webhooks are nudges: they name an external run, and the engine reads the truth from the
 * service. So a duplicate or out-of-order delivery changes nothing, and a lost one is covered by
 * polling. The answer is immediate; the work continues in the background.
 */
export function createWebhookHandlers(deps: WebhookDeps): {
  /** The cheap check, on headers alone, that the server makes before it reads a body. */
  authorize(headers: Record<string, string | string[] | undefined>): WebhookResult | undefined;
  azureDevOps(body: unknown, headers: Record<string, string | string[] | undefined>): Promise<WebhookResult>;
  databricks(body: unknown, headers: Record<string, string | string[] | undefined>): Promise<WebhookResult>;
} {
  const guard = (headers: Record<string, string | string[] | undefined>): WebhookResult | undefined => {
    if (!deps.secret) return { status: 503, body: { error: 'webhooks are disabled: set WEBHOOK_SECRET' } };
    if (!hasSecret(deps.secret, headers)) return { status: 401, body: { error: 'missing or wrong webhook secret' } };
    return undefined;
  };
  const nudge = (runs: RunRecord[], source: string): WebhookResult => {
    for (const r of runs) {
      deps.engine.advance(r.id).catch((error: unknown) => deps.logger.warn('advance after webhook failed', { runId: r.id, source, error }));
    }
    return { status: 202, body: { accepted: true, runs: runs.map((r) => r.id) } };
  };
  return {
    authorize: guard,
    azureDevOps: async (body, headers) => {
      const refused = guard(headers);
      if (refused) return refused;
      let event;
      try {
        event = parseServiceHookEvent(body);
      } catch (e) {
        return { status: 400, body: { error: (e as Error).message } };
      }
      if (!event) return { status: 202, body: { accepted: false, reason: 'event type not used by this bot' } };
      if (event.kind === 'approvalPending') {
        const model = event.pipelineId !== undefined ? deps.cdPipelines.get(event.pipelineId) : undefined;
        if (model && event.runId !== undefined && event.pipelineId !== undefined) {
          const req = { model, pipelineId: event.pipelineId, devopsRunId: event.runId, approval: event.approval };
          deps.engine.relayFromWebhook(req).catch((error: unknown) => deps.logger.warn('relay after webhook failed', { approvalId: event.approval.id, error }));
          return { status: 202, body: { accepted: true, relay: event.approval.id } };
        }
        // Without pipeline and run (as in the documented sample), polling finds the approval.
      }
      const id = event.kind === 'buildCompleted' ? event.build.id : event.kind === 'runStateChanged' || event.kind === 'stageStateChanged' ? event.run.id : event.runId;
      const active = await deps.runs.listRuns({ active: true });
      const answer = nudge(active.filter((r) => id !== undefined && devopsRunOf(r) === id), 'azure-devops');
      // A finished run the bot did not start: the watch service reads it and reports a failure once.
      const finished = (event.kind === 'buildCompleted' && event.build.state === 'completed') || (event.kind === 'runStateChanged' && event.run.state === 'completed');
      if (deps.watch && finished && id !== undefined) {
        deps.watch.devopsRunFinished(id).catch((error: unknown) => deps.logger.warn('watch after webhook failed', { runId: id, error }));
        answer.body.watch = id;
      }
      return answer;
    },
    databricks: async (body, headers) => {
      const refused = guard(headers);
      if (refused) return refused;
      let n;
      try {
        n = parseDatabricksNotification(body);
      } catch (e) {
        return { status: 400, body: { error: (e as Error).message } };
      }
      const ids = [n.runId, n.parentRunId].filter((x): x is string => !!x).map(Number);
      const active = await deps.runs.listRuns({ active: true });
      const answer = nudge(active.filter((r) => r.training?.databricksRunId !== undefined && ids.includes(r.training.databricksRunId)), 'databricks');
      // A job run that ended: the job run id (a task-level event names it as parent_run_id).
      const jobRunId = Number(n.parentRunId ?? n.runId);
      const ended = n.eventType === 'jobs.on_failure' || n.eventType === 'jobs.on_success';
      if (deps.watch && ended && Number.isSafeInteger(jobRunId) && /^\d+$/.test(n.jobId)) {
        const hint = { jobId: Number(n.jobId), jobName: n.jobName, failed: n.eventType === 'jobs.on_failure' };
        deps.watch.databricksRunFinished(jobRunId, hint).catch((error: unknown) => deps.logger.warn('watch after webhook failed', { runId: jobRunId, error }));
        answer.body.watch = jobRunId;
      }
      return answer;
    },
  };
}
