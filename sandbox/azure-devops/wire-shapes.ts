import type { ApprovalRec, RunRec, StageRec, TaskRec } from './run-engine';
import { APPROVER } from './pipeline-specs';

/**
 * Renders the sandbox's runs as the service's JSON: field names, nesting, enum spellings and
 * URL forms follow the real examples in test/fixtures/protocols/azure-devops/ (a fidelity test
 * compares them key by key), so the bot's mappers see what they will see in production.
 */
export interface WireContext {
  baseUrl: string;
  org: string;
  project: { id: string; name: string };
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export const REQUESTER = { id: 'd6245f20-2af8-44f4-9451-8107cb2767db', displayName: 'Sandbox User', uniqueName: 'sandbox.user@contoso.example' };

export function identity(ctx: WireContext, who: { id: string; displayName: string; uniqueName: string } = REQUESTER): Record<string, unknown> {
  return { ...who, url: `${ctx.baseUrl}/${ctx.org}/_apis/Identities/${who.id}`, imageUrl: `${ctx.baseUrl}/${ctx.org}/_api/_common/identityImage?id=${who.id}` };
}

export function projectRef(ctx: WireContext): Record<string, unknown> {
  return { id: ctx.project.id, name: ctx.project.name, description: 'MLOps sandbox project', url: `${ctx.baseUrl}/${ctx.org}/_apis/projects/${ctx.project.id}`, state: 'wellFormed', revision: 1, visibility: 'private', lastUpdateTime: '2024-01-01T00:00:00Z' };
}

const projectBase = (ctx: WireContext): string => `${ctx.baseUrl}/${ctx.org}/${ctx.project.id}`;

export function pipelineRef(ctx: WireContext, run: RunRec): Record<string, unknown> {
  const p = run.pipeline;
  return { url: `${projectBase(ctx)}/_apis/pipelines/${p.id}?revision=${p.revision}`, id: p.id, revision: p.revision, name: p.name, folder: p.folder };
}

/** Pipelines API `Run`: state inProgress|canceling|completed, result only once completed. */
export function wireRun(ctx: WireContext, run: RunRec): Record<string, unknown> {
  const base = projectBase(ctx);
  return {
    _links: {
      self: { href: `${base}/_apis/pipelines/${run.pipeline.id}/runs/${run.id}` },
      web: { href: `${base}/_build/results?buildId=${run.id}` },
      'pipeline.web': { href: `${base}/_build/definition?definitionId=${run.pipeline.id}` },
      pipeline: { href: `${base}/_apis/pipelines/${run.pipeline.id}?revision=${run.pipeline.revision}` },
    },
    templateParameters: run.templateParameters,
    pipeline: pipelineRef(ctx, run),
    state: run.state,
    ...(run.result ? { result: run.result } : {}),
    createdDate: iso(run.queueTime),
    ...(run.finishTime !== undefined ? { finishedDate: iso(run.finishTime) } : {}),
    url: `${base}/_apis/pipelines/${run.pipeline.id}/runs/${run.id}`,
    resources: { repositories: { self: { repository: { type: 'azureReposGit' }, refName: run.sourceBranch, version: run.sourceVersion } } },
    ...(Object.keys(run.variables).length > 0 ? { variables: run.variables } : {}),
    id: run.id,
    name: run.buildNumber,
  };
}

export function buildStatus(run: RunRec): string {
  return run.state === 'completed' ? 'completed' : run.state === 'canceling' ? 'cancelling' : 'inProgress';
}

/** Build API `Build` (the same run seen through the older API, which also cancels it). */
export function wireBuild(ctx: WireContext, run: RunRec): Record<string, unknown> {
  const base = projectBase(ctx);
  const plainVariables = Object.fromEntries(Object.entries(run.variables).filter(([, v]) => !v.isSecret).map(([k, v]) => [k, v.value]));
  return {
    tags: buildTags(run),
    _links: {
      self: { href: `${base}/_apis/build/Builds/${run.id}` },
      web: { href: `${base}/_build/results?buildId=${run.id}` },
      timeline: { href: `${base}/_apis/build/builds/${run.id}/Timeline` },
      sourceVersionDisplayUri: { href: `${base}/_apis/build/builds/${run.id}/sources` },
    },
    id: run.id,
    url: `${base}/_apis/build/Builds/${run.id}`,
    definition: { type: 'build', revision: run.pipeline.revision, id: run.pipeline.id, name: run.pipeline.name, url: `${base}/_apis/build/Definitions/${run.pipeline.id}?revision=${run.pipeline.revision}`, project: projectRef(ctx), path: run.pipeline.folder, queueStatus: 'enabled' },
    buildNumber: run.buildNumber,
    project: projectRef(ctx),
    uri: `vstfs:///Build/Build/${run.id}`,
    sourceBranch: run.sourceBranch,
    sourceVersion: run.sourceVersion,
    status: buildStatus(run),
    queue: { pool: null, id: 9, name: 'Azure Pipelines' },
    queueTime: iso(run.queueTime),
    priority: 'normal',
    startTime: iso(run.queueTime + 1500),
    ...(run.finishTime !== undefined ? { finishTime: iso(run.finishTime) } : {}),
    reason: run.reason ?? 'manual',
    ...(run.result ? { result: run.result } : {}),
    requestedFor: identity(ctx, run.requestedFor),
    requestedBy: identity(ctx, run.requestedFor),
    lastChangedDate: iso(run.finishTime ?? run.cursor),
    lastChangedBy: identity(ctx),
    parameters: JSON.stringify(plainVariables),
    templateParameters: run.templateParameters,
    orchestrationPlan: { planId: run.planId },
    logs: { id: 0, type: 'Container', url: `${base}/_apis/build/builds/${run.id}/logs` },
    repository: { id: '278d5cd2-584d-4b63-824a-2ba458937249', type: 'TfsGit', name: 'MLOpsDatabricks', url: `${ctx.baseUrl}/${ctx.org}/${ctx.project.name}/_git/MLOpsDatabricks`, clean: null, checkoutSubmodules: false },
    keepForever: false,
    retainedByRelease: false,
  };
}

interface RecordInit { id: string; parentId: string | null; type: string; name: string; identifier: string | null; order: number; state: string; result: string | null; start?: number; finish?: number; logId?: number; issues?: TaskRec['issues'] }

function record(ctx: WireContext, run: RunRec, r: RecordInit): Record<string, unknown> {
  const issues = r.issues ?? [];
  return {
    previousAttempts: [], id: r.id, parentId: r.parentId, type: r.type, name: r.name,
    startTime: iso(r.start) ?? null, finishTime: iso(r.finish) ?? null, currentOperation: null,
    percentComplete: r.state === 'completed' ? 100 : 0, state: r.state, result: r.result, resultCode: null,
    changeId: run.changeId, lastModified: iso(r.finish ?? r.start ?? run.queueTime), workerName: r.type === 'Job' || r.type === 'Task' ? 'Azure Pipelines 3' : null,
    order: r.order, details: null,
    errorCount: issues.filter((i) => i.type === 'error').length, warningCount: issues.filter((i) => i.type === 'warning').length,
    url: null,
    log: r.logId === undefined ? null : { id: r.logId, type: 'Container', url: `${projectBase(ctx)}/_apis/build/builds/${run.id}/logs/${r.logId}` },
    task: null, attempt: 1, identifier: r.identifier, issues,
  };
}

function stageRecords(ctx: WireContext, run: RunRec, st: StageRec): Array<Record<string, unknown>> {
  const out = [record(ctx, run, { id: st.id, parentId: null, type: 'Stage', name: st.spec.displayName, identifier: st.spec.name, order: st.order, state: st.state, result: st.result ?? null, ...opt(st.start, st.finish) })];
  if (st.approval) {
    const a = st.approval;
    const done = a.status !== 'pending';
    const result = a.status === 'approved' ? 'succeeded' : a.status === 'pending' ? null : a.status === 'canceled' ? 'canceled' : 'failed';
    out.push(record(ctx, run, { id: st.checkpointId, parentId: st.id, type: 'Checkpoint', name: 'Checkpoint', identifier: `Checkpoint_${st.spec.name}`, order: 1, state: done ? 'completed' : 'inProgress', result, start: a.createdOn, ...(done ? { finish: a.lastModifiedOn } : {}) }));
    // The Checkpoint.Approval record's id IS the approval id: clients find pending approvals this way.
    out.push(record(ctx, run, { id: a.id, parentId: st.checkpointId, type: 'Checkpoint.Approval', name: 'Checkpoint.Approval', identifier: a.id, order: 1, state: done ? 'completed' : 'inProgress', result, start: a.createdOn, ...(done ? { finish: a.lastModifiedOn } : {}) }));
  }
  for (const j of st.jobs) {
    const jr = { state: j.state, result: j.result ?? null, ...opt(j.start, j.finish) };
    const jobLog = j.logId !== undefined ? { logId: j.logId } : {};
    out.push(record(ctx, run, { id: j.phaseId, parentId: st.id, type: 'Phase', name: j.spec.displayName, identifier: `${st.spec.name}.${j.spec.name}`, order: j.order, ...jr }));
    out.push(record(ctx, run, { id: j.id, parentId: j.phaseId, type: 'Job', name: j.spec.displayName, identifier: `${st.spec.name}.${j.spec.name}.__default`, order: 1, ...jr, ...jobLog }));
    for (const t of j.tasks) {
      out.push(record(ctx, run, { id: t.id, parentId: j.id, type: 'Task', name: t.spec.name, identifier: null, order: t.order, state: t.state, result: t.result ?? null, ...opt(t.start, t.finish), ...(t.logId !== undefined ? { logId: t.logId } : {}), issues: t.issues }));
    }
  }
  return out;
}

const opt = (start?: number, finish?: number): { start?: number; finish?: number } => ({ ...(start !== undefined ? { start } : {}), ...(finish !== undefined ? { finish } : {}) });

export function wireTimeline(ctx: WireContext, run: RunRec): Record<string, unknown> {
  return {
    records: run.stages.flatMap((st) => stageRecords(ctx, run, st)),
    lastChangedBy: '00000002-0000-8888-8000-000000000000',
    lastChangedOn: iso(run.finishTime ?? run.cursor),
    id: run.timelineId,
    changeId: run.changeId,
    url: `${projectBase(ctx)}/_apis/build/builds/${run.id}/Timeline/${run.timelineId}`,
  };
}

/** A task's log lines visible at `now`: they appear as the task runs, each with its ISO timestamp prefix. */
/**
 * Build tags added by the logging command `##vso[build.addbuildtag]<tag>` (Microsoft Learn,
 * "Logging commands": AddBuildTag), as Builds - Get returns them in `tags` (sorted, no duplicates,
 * as the service keeps them). The agent applies the command when the line is printed; the sandbox
 * applies it when the step that printed it has finished.
 */
export function buildTags(run: RunRec): string[] {
  const tags = new Set<string>();
  for (const stage of run.stages)
    for (const job of stage.jobs)
      for (const task of job.tasks) {
        if (task.state !== 'completed') continue;
        for (const line of task.lines) {
          const m = /^##vso\[build\.addbuildtag\](.+)$/.exec(line.trim());
          if (m?.[1]) tags.add(m[1].trim());
        }
      }
  return [...tags].sort();
}

export function visibleLogLines(task: TaskRec, now: number): string[] {
  const start = task.start;
  if (start === undefined) return [];
  const span = Math.max(1, (task.finish ?? start + task.spec.durationMs) - start);
  const done = task.state === 'completed' ? 1 : Math.min(1, (now - start) / span);
  const count = Math.ceil(done * task.lines.length);
  return task.lines.slice(0, count).map((l, i) => `${new Date(start + (i * span) / task.lines.length).toISOString().replace('Z', '0000Z')} ${l}`);
}

export function wireLogRef(ctx: WireContext, run: RunRec, logId: number, lineCount: number, start: number, lastChanged: number): Record<string, unknown> {
  return {
    lineCount, createdOn: iso(start), lastChangedOn: iso(lastChanged),
    id: logId, type: 'Container', url: `${projectBase(ctx)}/_apis/build/builds/${run.id}/logs/${logId}`,
  };
}

export function wireApproval(ctx: WireContext, run: RunRec, a: ApprovalRec, expandSteps: boolean): Record<string, unknown> {
  const approver = { displayName: APPROVER.displayName, id: APPROVER.id, uniqueName: APPROVER.uniqueName, descriptor: `vssgp.${APPROVER.id}` };
  const decided = a.status !== 'pending';
  const decider = a.decidedBy ? { displayName: a.decidedBy.displayName, id: a.decidedBy.id, uniqueName: a.decidedBy.uniqueName, descriptor: `aad.${a.decidedBy.id}` } : approver;
  const steps = a.gate.approvers.map((who, i) => ({
    assignedApprover: { displayName: who.displayName, id: who.id, uniqueName: who.uniqueName, descriptor: `vssgp.${who.id}` },
    ...(decided && a.status !== 'canceled' && a.status !== 'timedOut' ? { actualApprover: decider, lastModifiedBy: decider } : {}),
    comment: a.comment ?? '',
    status: a.status === 'timedOut' || a.status === 'canceled' ? 'skipped' : a.status,
    lastModifiedOn: iso(a.lastModifiedOn), order: i + 1, initiatedOn: iso(a.createdOn), history: [],
  }));
  const base = projectBase(ctx);
  return {
    id: a.id,
    steps: expandSteps ? steps : [],
    status: a.status,
    createdOn: iso(a.createdOn),
    lastModifiedOn: iso(a.lastModifiedOn),
    executionOrder: 'anyOrder',
    minRequiredApprovers: a.gate.minRequiredApprovers,
    blockedApprovers: [],
    instructions: a.gate.instructions,
    pipeline: {
      owner: { _links: { web: { href: `${base}/_build/results?buildId=${run.id}` }, self: { href: `${base}/_apis/build/Builds/${run.id}` } }, id: run.id, name: run.buildNumber },
      id: String(run.pipeline.id), name: run.pipeline.name,
    },
    _links: { self: { href: `${base}/_apis/pipelines/approvals/${a.id}` } },
  };
}
