import { z } from 'zod';
import { date, mapApproval, mapBuild, mapRun } from './azure-devops.mappers';
import type { Approval, PipelineRun } from './azure-devops.types';

/**
 * Service-hook payloads → our typed events. Pure: the webhook route calls it after checking the
 * shared secret. Unknown event types give undefined (we may be subscribed to more than we use);
 * a body that is not a service-hook event at all, or a known event whose resource lacks what we
 * key on, is rejected with a ServiceHookParseError naming the field.
 */
export interface HookEventBase {
  /** The notification's own id: a redelivery carries the same one, so handlers can deduplicate. */
  eventId: string;
  eventType: string;
  createdAt: Date | undefined;
  message: string | undefined;
}

export type AzureDevOpsEvent =
  | (HookEventBase & { kind: 'runStateChanged'; run: PipelineRun })
  | (HookEventBase & { kind: 'stageStateChanged'; run: PipelineRun; stage: { name: string; displayName: string | undefined; state: string; result: string | undefined } })
  | (HookEventBase & { kind: 'approvalPending' | 'approvalCompleted'; approval: Approval; runId: number | undefined; pipelineId: number | undefined; stageName: string | undefined })
  | (HookEventBase & { kind: 'buildCompleted'; build: PipelineRun });

export class ServiceHookParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceHookParseError';
  }
}

const envelope = z.object({
  id: z.string().min(1),
  eventType: z.string().min(1),
  publisherId: z.string().optional(),
  message: z.object({ text: z.string().optional() }).nullish(),
  resource: z.record(z.string(), z.unknown()),
  createdDate: z.string().optional(),
});

const idLike = z.union([z.number(), z.string().regex(/^\d+$/)]);
const runSchema = z.object({ id: idLike, state: z.union([z.string(), z.number()]) });
const runResource = z.object({ run: runSchema, pipeline: z.object({ id: idLike }).nullish() });
const stageResource = z.object({
  run: runSchema,
  pipeline: z.object({ id: idLike }).nullish(),
  stage: z.object({ name: z.string(), displayName: z.string().nullish(), state: z.string(), result: z.string().nullish() }),
});
const approvalResource = z.object({
  approval: z.object({ id: z.string().min(1), status: z.union([z.string(), z.number()]) }),
  run: z.object({ id: idLike }).nullish(),
  pipeline: z.object({ id: idLike }).nullish(),
  stageName: z.string().nullish(),
  id: z.number().nullish(),
});
const buildResource = z.object({ id: idLike, status: z.union([z.string(), z.number()]) });

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = [what, ...(issue?.path ?? []).map(String)].join('.');
    throw new ServiceHookParseError(`not a valid Azure DevOps service-hook event: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

const positive = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n !== undefined && n > 0 ? n : undefined;
};

export function parseServiceHookEvent(body: unknown): AzureDevOpsEvent | undefined {
  const e = check(envelope, body, 'body');
  const base: HookEventBase = { eventId: e.id, eventType: e.eventType, createdAt: date(e.createdDate), message: e.message?.text };
  const resource = e.resource;
  switch (e.eventType) {
    case 'ms.vss-pipelines.run-state-changed-event': {
      check(runResource, resource, 'resource');
      return { ...base, kind: 'runStateChanged', run: mapRun(resource.run, resource.pipeline) };
    }
    case 'ms.vss-pipelines.stage-state-changed-event': {
      const r = check(stageResource, resource, 'resource');
      return {
        ...base,
        kind: 'stageStateChanged',
        run: mapRun(resource.run, resource.pipeline),
        stage: { name: r.stage.name, displayName: r.stage.displayName ?? undefined, state: r.stage.state, result: r.stage.result ?? undefined },
      };
    }
    case 'ms.vss-pipelinechecks-events.approval-pending':
    case 'ms.vss-pipelinechecks-events.approval-completed': {
      const r = check(approvalResource, resource, 'resource');
      // The documented sample has run/pipeline/stage null and id 0: keep what is there, never guess.
      return {
        ...base,
        kind: e.eventType.endsWith('pending') ? 'approvalPending' : 'approvalCompleted',
        approval: mapApproval(resource.approval),
        runId: positive(r.run?.id) ?? positive(r.id),
        pipelineId: positive(r.pipeline?.id),
        stageName: r.stageName ?? undefined,
      };
    }
    case 'build.complete': {
      check(buildResource, resource, 'resource');
      return { ...base, kind: 'buildCompleted', build: mapBuild(resource) };
    }
    default:
      return undefined;
  }
}
