import { randomUUID } from 'node:crypto';
import type { Logger } from '../../services/logger';
import type { RunEvent } from './run-engine';
import { identity, pipelineRef, wireApproval, wireBuild, wireRun, type WireContext } from './wire-shapes';

/**
 * Service-hook subscriptions (webHooks consumer, httpRequest action) and their deliveries. The
 * payloads have the envelope and resource shapes of the documented samples; deliveries for one
 * subscription go out in order, with the subscription's basic auth and custom headers.
 */
export interface Subscription {
  id: string;
  publisherId: string;
  eventType: string;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  createdDate: string;
}

export interface Delivery {
  subscriptionId: string;
  eventType: string;
  url: string;
  status?: number;
  error?: string;
  body: Record<string, unknown>;
}

const PIPELINES_EVENTS = new Set(['ms.vss-pipelines.run-state-changed-event', 'ms.vss-pipelines.stage-state-changed-event', 'ms.vss-pipelinechecks-events.approval-pending', 'ms.vss-pipelinechecks-events.approval-completed']);
export const SUPPORTED_EVENT_TYPES = new Set([...PIPELINES_EVENTS, 'build.complete']);

export class ServiceHooks {
  readonly subscriptions: Subscription[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly queues = new Map<string, Promise<void>>();
  private notificationId = 1;

  constructor(private readonly ctx: () => WireContext, private readonly logger: Logger) {}

  add(input: Omit<Subscription, 'id' | 'createdDate'>): Subscription {
    const sub: Subscription = { ...input, id: randomUUID(), createdDate: new Date().toISOString() };
    this.subscriptions.push(sub);
    return sub;
  }

  /** Turns one run transition into the events subscribers asked for, and sends them. */
  publish(e: RunEvent): void {
    for (const sub of this.subscriptions) {
      const eventType = eventTypeOf(e, sub.eventType);
      if (!eventType || !matches(sub, e)) continue;
      const body = this.payload(sub, eventType, e);
      this.enqueue(sub, body);
    }
  }

  /** Resolves when every delivery queued so far has been attempted (tests wait on this). */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private enqueue(sub: Subscription, body: Record<string, unknown>): void {
    const url = sub.consumerInputs.url ?? '';
    const delivery: Delivery = { subscriptionId: sub.id, eventType: String(body.eventType), url, body };
    this.deliveries.push(delivery);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    for (const line of (sub.consumerInputs.httpHeaders ?? '').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    if (sub.consumerInputs.basicAuthUsername !== undefined || sub.consumerInputs.basicAuthPassword !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${sub.consumerInputs.basicAuthUsername ?? ''}:${sub.consumerInputs.basicAuthPassword ?? ''}`).toString('base64')}`;
    }
    const previous = this.queues.get(sub.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
        delivery.status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        delivery.error = (err as Error).message;
        this.logger.warn('service hook delivery failed', { subscriptionId: sub.id, eventType: delivery.eventType, error: delivery.error });
      }
    });
    this.queues.set(sub.id, next);
  }

  private payload(sub: Subscription, eventType: string, e: RunEvent): Record<string, unknown> {
    const ctx = this.ctx();
    const run = e.run;
    const web = `${ctx.baseUrl}/${ctx.org}/${ctx.project.id}/_build/results?buildId=${run.id}`;
    const text = describe(eventType, e);
    const html = text.replace(`Run ${run.buildNumber}`, `Run <a href="${web}">${run.buildNumber}</a>`);
    const markdown = text.replace(`Run ${run.buildNumber}`, `Run [${run.buildNumber}](${web})`);
    let resource: Record<string, unknown>;
    let resourceVersion = '5.1-preview.1';
    if (eventType === 'build.complete') {
      resource = wireBuild(ctx, run);
      resourceVersion = '2.0';
    } else if (e.kind === 'approvalPending' || e.kind === 'approvalCompleted') {
      resource = {
        approval: wireApproval(ctx, run, e.approval, true), projectId: ctx.project.id, pipeline: pipelineRef(ctx, run),
        stage: { id: e.stage.id, name: e.stage.spec.name, displayName: e.stage.spec.displayName },
        run: wireRun(ctx, run), resource: { type: 'environment', id: '1', name: e.approval.gate.environment },
        id: run.id, url: web, stageName: e.stage.spec.name, attemptId: 1,
      };
    } else if (e.kind === 'stageStateChanged') {
      const st = e.stage;
      const state = st.approval?.status === 'pending' ? 'waiting' : st.state === 'inProgress' ? 'running' : st.state === 'pending' ? 'notStarted' : 'completed';
      resource = {
        stage: { _links: { web: { href: web }, 'pipeline.web': { href: `${ctx.baseUrl}/${ctx.org}/${ctx.project.id}/_build/definition?definitionId=${run.pipeline.id}` } }, id: st.id, name: st.spec.name, displayName: st.spec.displayName, state, ...(st.result ? { result: st.result } : {}) },
        run: wireRun(ctx, run), pipeline: pipelineRef(ctx, run),
      };
    } else {
      resource = { run: wireRun(ctx, run), pipeline: pipelineRef(ctx, run) };
    }
    return {
      subscriptionId: sub.id,
      notificationId: this.notificationId++,
      id: randomUUID(),
      eventType,
      publisherId: eventType === 'build.complete' ? 'tfs' : 'pipelines',
      message: { text, html, markdown },
      detailedMessage: { text, html, markdown },
      resource,
      resourceVersion,
      resourceContainers: { collection: { id: 'c12d0eb8-e382-443b-9f9c-c52cba5014c2', baseUrl: `${ctx.baseUrl}/${ctx.org}/` }, account: { id: 'f844ec47-a9db-4511-8281-8b63f4eaf94e', baseUrl: `${ctx.baseUrl}/${ctx.org}/` }, project: { id: ctx.project.id, baseUrl: `${ctx.baseUrl}/${ctx.org}/` } },
      createdDate: new Date(e.at).toISOString(),
      ...(eventType === 'build.complete' ? { requestedFor: identity(ctx, e.run.requestedFor) } : {}),
    };
  }
}

function eventTypeOf(e: RunEvent, wanted: string): string | undefined {
  switch (wanted) {
    case 'ms.vss-pipelines.run-state-changed-event':
      return e.kind === 'runStateChanged' ? wanted : undefined;
    case 'ms.vss-pipelines.stage-state-changed-event':
      return e.kind === 'stageStateChanged' ? wanted : undefined;
    case 'ms.vss-pipelinechecks-events.approval-pending':
      return e.kind === 'approvalPending' ? wanted : undefined;
    case 'ms.vss-pipelinechecks-events.approval-completed':
      return e.kind === 'approvalCompleted' ? wanted : undefined;
    case 'build.complete':
      return e.kind === 'runStateChanged' && e.run.state === 'completed' ? wanted : undefined;
    default:
      return undefined;
  }
}

/** publisherInputs filters, as the service applies them (pipelineId, definitionName, runStateId, stageNameId). */
function matches(sub: Subscription, e: RunEvent): boolean {
  const f = sub.publisherInputs;
  if (f.pipelineId && f.pipelineId !== String(e.run.pipeline.id)) return false;
  if (f.definitionName && f.definitionName !== e.run.pipeline.name) return false;
  if (f.runStateId && e.kind === 'runStateChanged' && f.runStateId.toLowerCase() !== e.run.state.toLowerCase()) return false;
  if (f.stageNameId && 'stage' in e && f.stageNameId !== e.stage.spec.name) return false;
  if (f.buildStatus && e.kind === 'runStateChanged') {
    const status = e.run.result === 'canceled' ? 'stopped' : (e.run.result ?? '');
    if (f.buildStatus.toLowerCase() !== status) return false;
  }
  return true;
}

function describe(eventType: string, e: RunEvent): string {
  const r = e.run;
  switch (e.kind) {
    case 'approvalPending':
    case 'approvalCompleted':
      return e.kind === 'approvalPending'
        ? `Approval pending for deployment of pipeline Run ${r.buildNumber} to environment ${e.approval.gate.environment}.`
        : `Approval ${e.approval.status} for deployment of pipeline Run ${r.buildNumber} to environment ${e.approval.gate.environment}.`;
    case 'stageStateChanged':
      return `Run ${r.buildNumber} stage ${e.stage.spec.name} ${e.stage.result ?? (e.stage.state === 'inProgress' ? 'started' : 'is waiting')}.`;
    case 'runStateChanged':
      if (eventType === 'build.complete') return `Build ${r.buildNumber} ${r.result ?? 'completed'}`;
      return `Run ${r.buildNumber} ${r.state === 'completed' ? (r.result ?? 'completed') : r.state === 'canceling' ? 'is canceling' : 'started'}.`;
  }
}
