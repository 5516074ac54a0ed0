import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { HookEventType } from '../azure-devops/azure-devops.types';
import type { DatabricksClient } from '../databricks/databricks.client';
import { ServiceError } from '../http/errors';
import type { Logger } from '../logger';

/** The Azure DevOps events the bot subscribes to: failures of any pipeline, and CD approvals for the relay. */
export const DEVOPS_HOOK_EVENTS: readonly HookEventType[] = ['build.complete', 'ms.vss-pipelines.run-state-changed-event', 'ms.vss-pipelinechecks-events.approval-pending'];

export interface HookSetupInput {
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  /** The bot's public base URL, e.g. https://mlops-bot.contoso.com. */
  publicUrl: string;
  /** Sent as HTTP Basic password (both services support Basic auth on webhooks). */
  secret: string;
  /** Name of the Databricks notification destination (found again by this name: its URL is write-only). */
  destinationName: string;
  /** Databricks job ids to attach the destination to (on_failure, and on_start/on_success). */
  jobIds: readonly number[];
  logger: Logger;
}

export interface HookSetupResult {
  devops: Array<{ eventType: string; outcome: 'created' | 'exists' | 'failed'; detail?: string }>;
  databricks: { destination: 'created' | 'exists' | 'failed' | 'skipped'; destinationId?: string; jobs: Array<{ jobId: number; outcome: 'attached' | 'exists' | 'failed'; detail?: string }>; detail?: string };
}

const why = (e: unknown): string => (e instanceof ServiceError ? e.describe() : e instanceof Error ? e.message : String(e));

/**
 * Creates the bot's webhook subscriptions when its identity may, and never a second copy: an
 * Azure DevOps subscription of the same event to the same URL, or a Databricks destination of
 * the same name, is reused. What fails (no permission) is logged with the manual step
 * (docs/watching.md) and the bot carries on: polling covers what webhooks would have sent.
 */
export async function ensureWebhooks(input: HookSetupInput): Promise<HookSetupResult> {
  const result: HookSetupResult = { devops: [], databricks: { destination: 'skipped', jobs: [] } };
  const base = input.publicUrl.replace(/\/+$/, '');
  if (input.devops) {
    const url = `${base}/api/webhooks/azure-devops`;
    for (const eventType of DEVOPS_HOOK_EVENTS) {
      try {
        const existing = await input.devops.listHookSubscriptions(eventType);
        if (existing.some((s) => s.url === url && !s.publisherInputs.pipelineId)) {
          result.devops.push({ eventType, outcome: 'exists' });
          continue;
        }
        await input.devops.createHookSubscription({ eventType, url, basicAuth: { username: 'mlops-chatops', password: input.secret } });
        result.devops.push({ eventType, outcome: 'created' });
      } catch (e) {
        result.devops.push({ eventType, outcome: 'failed', detail: why(e) });
        input.logger.warn('could not create the Azure DevOps service hook; create it by hand (docs/watching.md) — polling covers it meanwhile', { eventType, error: e });
      }
    }
  }
  if (input.databricks) {
    const dbx = input.databricks;
    let destinationId: string | undefined;
    try {
      const found = (await dbx.listNotificationDestinations()).find((d) => d.displayName === input.destinationName);
      if (found) {
        destinationId = found.id;
        result.databricks.destination = 'exists';
      } else {
        destinationId = (await dbx.createWebhookDestination(input.destinationName, { url: `${base}/api/webhooks/databricks`, username: 'mlops-chatops', password: input.secret })).id;
        result.databricks.destination = 'created';
      }
      result.databricks.destinationId = destinationId;
    } catch (e) {
      result.databricks.destination = 'failed';
      result.databricks.detail = why(e);
      input.logger.warn('could not create the Databricks notification destination (workspace admins only); see docs/watching.md — polling covers it meanwhile', { error: e });
    }
    for (const jobId of destinationId ? input.jobIds : []) {
      try {
        const hooks = await dbx.getJobWebhooks(jobId);
        const lists = ['on_failure', 'on_start', 'on_success'];
        if (lists.every((event) => (hooks[event] ?? []).includes(destinationId ?? ''))) {
          result.databricks.jobs.push({ jobId, outcome: 'exists' });
          continue;
        }
        // webhook_notifications is replaced whole: keep every other list and destination, add ours (max 3 per list).
        const merged: Record<string, string[]> = { ...hooks };
        for (const event of lists) {
          const ids = merged[event] ?? [];
          if (ids.includes(destinationId ?? '')) continue;
          // Never evict another team's destination: a full list is reported, not rewritten.
          if (ids.length >= 3) throw new Error(`${event} already has 3 destinations (the Jobs API maximum)`);
          merged[event] = [...ids, destinationId ?? ''];
        }
        await dbx.setJobWebhooks(jobId, merged);
        result.databricks.jobs.push({ jobId, outcome: 'attached' });
      } catch (e) {
        result.databricks.jobs.push({ jobId, outcome: 'failed', detail: why(e) });
        input.logger.warn('could not attach the notification destination to the job (needs CAN MANAGE); see docs/watching.md', { jobId, error: e });
      }
    }
  }
  return result;
}
