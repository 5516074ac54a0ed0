import { z } from 'zod';

/**
 * Databricks job notification webhooks (HTTP webhook notification destinations). The payload
 * carries ids only (as strings), no state: the receiver calls runs/get for details.
 * Shapes: docs.databricks.com/jobs/notifications, "HTTP webhook payloads".
 */
export type DatabricksEventType =
  | 'jobs.on_start'
  | 'jobs.on_success'
  | 'jobs.on_failure'
  | 'jobs.on_duration_warning_threshold_exceeded';

export interface DatabricksNotification {
  eventType: DatabricksEventType;
  workspaceId: string;
  /** 'task' when the notification was configured on a task (it then names the task and its parent run). */
  level: 'job' | 'task';
  /** The job run id for a job-level event; the task run id for a task-level event. */
  runId: string;
  /** The job run id of a task-level event. */
  parentRunId: string | undefined;
  taskKey: string | undefined;
  jobId: string;
  jobName: string | undefined;
}

// Ids are strings in the documented payloads; numbers are accepted too, in case a sender differs.
const id = z.union([z.string().min(1), z.number()]).transform((v) => String(v));

const payloadSchema = z.object({
  event_type: z.enum(['jobs.on_start', 'jobs.on_success', 'jobs.on_failure', 'jobs.on_duration_warning_threshold_exceeded']),
  workspace_id: id,
  run: z.object({ run_id: id, parent_run_id: id.optional() }),
  job: z.object({ job_id: id, name: z.string().optional() }),
  task: z.object({ task_key: z.string().min(1) }).optional(),
});

export class InvalidNotificationError extends Error {
  readonly code = 'InvalidDatabricksNotification';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidNotificationError';
  }
}

export function parseDatabricksNotification(body: unknown): DatabricksNotification {
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidNotificationError(`not a Databricks job notification: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const p = parsed.data;
  return {
    eventType: p.event_type,
    workspaceId: p.workspace_id,
    level: p.task ? 'task' : 'job',
    runId: p.run.run_id,
    parentRunId: p.run.parent_run_id,
    taskKey: p.task?.task_key,
    jobId: p.job.job_id,
    jobName: p.job.name,
  };
}
