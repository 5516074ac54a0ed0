import type { SandboxClock } from '../common/clock';
import { HttpFault } from '../common/http-server';
import type { Logger } from '../../services/logger';
import { defaultPipelines, type PipelineSpec } from './pipeline-specs';
import { advanceRun, cancelRun, createRun, decideApproval, type ApprovalRec, type Identity, type RunEvent, type RunRec } from './run-engine';
import { ServiceHooks } from './service-hooks';
import type { WireContext } from './wire-shapes';

/**
 * Everything the Azure DevOps sandbox knows: pipelines, runs, approvals, subscriptions. Tests
 * read it directly (`state.runs`, `state.hooks.deliveries`) and drive it through the REST API.
 */
export interface QueueInput {
  sourceBranch?: string;
  templateParameters?: Record<string, unknown>;
  variables?: Record<string, { value?: unknown; isSecret?: boolean }>;
  /** Who queued the run (the UI path: a person; a schedule: the project's build service). */
  requestedFor?: Identity;
  /** Build `reason`: manual, schedule, pullRequest, individualCI, ... */
  reason?: string;
  /** The run fails at this task (a person's broken commit, in the UI path). */
  failTask?: string;
}

/** The variable / template parameter that makes a named task fail (case-insensitive). */
export const FAIL_TASK_KEY = 'sandbox.failTask';

export class AzureDevOpsSandboxState {
  readonly runs = new Map<number, RunRec>();
  readonly pipelines: PipelineSpec[];
  readonly hooks: ServiceHooks;
  /** The Authorization scheme and value of the last API call, so tests can see which auth the client used. */
  lastAuthorization: string | undefined;
  /** Identity ids in the environment's approver group: only they may decide an approval. */
  approverIds: ReadonlySet<string> = new Set();
  /** Set through the control endpoint: the next queued run fails at this task. */
  failNextRunAt: string | undefined;
  private nextRunId = 1;
  private readonly perDay = new Map<string, number>();

  constructor(
    readonly clock: SandboxClock,
    readonly ctx: () => WireContext,
    logger: Logger,
    pipelines: PipelineSpec[] = defaultPipelines(),
  ) {
    this.pipelines = pipelines;
    this.hooks = new ServiceHooks(ctx, logger);
  }

  pipeline(id: number): PipelineSpec {
    const p = this.pipelines.find((x) => x.id === id);
    if (!p) throw new HttpFault(404, 'PipelineNotFoundException', `Pipeline with id ${id} not found.`);
    return p;
  }

  /** Brings every active run up to the clock's now. */
  tick(): void {
    const now = this.clock.now();
    for (const run of this.runs.values()) advanceRun(run, now, this.emit);
  }

  queue(pipelineId: number, input: QueueInput): RunRec {
    const pipeline = this.pipeline(pipelineId);
    const templateParameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.templateParameters ?? {})) {
      if (k !== FAIL_TASK_KEY && !(k in pipeline.parameters)) {
        throw new HttpFault(400, 'PipelineValidationException', `Unexpected parameter '${k}'`);
      }
      if (typeof v === 'object' && v !== null) throw new HttpFault(500, 'InternalErrorException', 'TF400898: An Internal Error Occurred. Activity Id: 00000000-0000-0000-0000-000000000000.');
      templateParameters[k] = String(v);
    }
    const variables: RunRec['variables'] = {};
    for (const [k, v] of Object.entries(input.variables ?? {})) variables[k] = { value: typeof v.value === 'string' ? v.value : v.value === undefined ? '' : JSON.stringify(v.value), ...(v.isSecret ? { isSecret: true } : {}) };
    const failTask = input.failTask ?? variables[FAIL_TASK_KEY]?.value ?? templateParameters[FAIL_TASK_KEY] ?? this.failNextRunAt;
    this.failNextRunAt = undefined;
    const now = this.clock.now();
    const day = new Date(now).toISOString().slice(0, 10);
    const dailyIndex = (this.perDay.get(day) ?? 0) + 1;
    this.perDay.set(day, dailyIndex);
    const run = createRun(this.nextRunId++, pipeline, now, {
      sourceBranch: normaliseBranch(input.sourceBranch ?? 'refs/heads/main'),
      templateParameters: { ...pipeline.parameters, ...templateParameters },
      variables,
      dailyIndex,
      ...(failTask ? { failTask } : {}),
      ...(input.requestedFor ? { requestedFor: input.requestedFor } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    });
    this.runs.set(run.id, run);
    this.emit({ kind: 'runStateChanged', run, at: now });
    return run;
  }

  run(id: number, notFound: 'build' | 'run' = 'build'): RunRec {
    this.tick();
    const run = this.runs.get(id);
    if (!run) {
      throw notFound === 'build'
        ? new HttpFault(404, 'BuildNotFoundException', `The requested build ${id} could not be found.`)
        : new HttpFault(404, 'RunNotFoundException', `Run with id ${id} could not be found.`);
    }
    return run;
  }

  cancel(id: number): RunRec {
    const run = this.run(id);
    cancelRun(run, this.clock.now(), this.emit);
    return run;
  }

  approvals(): Array<{ run: RunRec; approval: ApprovalRec }> {
    this.tick();
    const out: Array<{ run: RunRec; approval: ApprovalRec }> = [];
    for (const run of this.runs.values()) for (const st of run.stages) if (st.approval) out.push({ run, approval: st.approval });
    return out;
  }

  approval(id: string): { run: RunRec; approval: ApprovalRec } {
    const found = this.approvals().find((x) => x.approval.id.toLowerCase() === id.toLowerCase());
    if (!found) throw new HttpFault(404, 'ApprovalNotFoundException', `Approval with id ${id} does not exist or you do not have permission to access it.`);
    return found;
  }

  decide(id: string, status: 'approved' | 'rejected', comment: string, by?: ApprovalRec['decidedBy']): { run: RunRec; approval: ApprovalRec } {
    const found = this.approval(id);
    if (found.approval.status !== 'pending') {
      throw new HttpFault(400, 'ApprovalStateTransitionException', `Approval ${id} is already ${found.approval.status} and cannot be updated.`);
    }
    decideApproval(found.run, found.approval, status, comment, by, this.clock.now(), this.emit);
    this.tick();
    return found;
  }

  /** Other sandboxes reacting to runs (the sandbox ACR receives the image a successful CI run pushes). */
  readonly runListeners: Array<(e: RunEvent) => void> = [];

  private readonly emit = (e: RunEvent): void => {
    this.hooks.publish(e);
    for (const listen of this.runListeners) listen(e);
  };
}

export function normaliseBranch(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}
