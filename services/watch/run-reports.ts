import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { PipelineRun } from '../azure-devops/azure-devops.types';
import type { DatabricksClient } from '../databricks/databricks.client';
import type { DatabricksRun } from '../databricks/databricks.types';
import { reportKey, type ExternalRunReport } from './watch.types';

/** Log lines kept per report (the card shows the last 20; the report keeps a few more for /logs-like use). */
const TAIL = 30;
/** Azure DevOps log lines start with an ISO timestamp and a space; the card does not need it. */
const stripTimestamp = (line: string): string => line.replace(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z /, '');

export function devopsFailed(run: PipelineRun): boolean {
  return run.state === 'completed' && (run.result === 'failed' || run.result === 'canceled' || run.result === 'partiallySucceeded');
}

/**
 * A completed Azure DevOps run as a report: for a failure, the first failed task (stage › job ›
 * task), its error issues and the tail of its log, read from the timeline and the log API.
 */
export async function devopsReport(client: AzureDevOpsClient, build: PipelineRun, model: string | undefined): Promise<ExternalRunReport> {
  const failed = devopsFailed(build);
  let failedStep: string | undefined;
  let error: string | undefined;
  let logLines: string[] = [];
  if (failed) {
    const stages = await client.getTimeline(build.id);
    outer: for (const stage of stages) {
      for (const job of stage.jobs) {
        const task = job.tasks.find((t) => t.result === 'failed' || t.result === 'canceled');
        if (!task) continue;
        failedStep = [stage.name, job.name, task.name].join(' \u203a ');
        error = task.issues.filter((i) => i.type === 'error').map((i) => i.message).join(' ') || undefined;
        if (task.logId !== undefined) logLines = (await client.getLogTail(build.id, task.logId, { lines: TAIL })).map(stripTimestamp);
        break outer;
      }
      // A stage that failed without a failed task (a rejected or timed-out approval, a failed check).
      if (!failedStep && (stage.result === 'failed' || stage.result === 'canceled')) {
        failedStep = stage.name;
        error = stage.issues.filter((i) => i.type === 'error').map((i) => i.message).join(' ') || undefined;
      }
    }
  }
  const who = build.requestedFor;
  return {
    key: reportKey('azure-devops', build.id),
    source: 'azure-devops',
    runId: build.id,
    targetId: build.pipelineId ?? 0,
    targetName: build.pipelineName ?? `pipeline ${build.pipelineId ?? '?'}`,
    runName: build.name,
    outcome: failed ? 'failed' : 'succeeded',
    result: build.result ?? 'unknown',
    failedStep,
    error: error ?? (failed ? `The run ${build.result ?? 'failed'}.` : undefined),
    logLines,
    url: build.webUrl,
    triggeredBy: who ? { name: who.displayName, upn: who.uniqueName?.includes('@') ? who.uniqueName : undefined, id: who.id } : undefined,
    reason: build.reason,
    branch: build.sourceBranch,
    parameters: build.templateParameters,
    finishedAt: build.finishedAt?.toISOString(),
    model,
    retries: [],
  };
}

const FAILED_RESULTS = new Set(['FAILED', 'TIMEDOUT', 'CANCELED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'MAXIMUM_CONCURRENT_RUNS_REACHED']);

/** A failure per databricks-job-notifications.md §4: a failing result state, or INTERNAL_ERROR. */
export function databricksFailed(run: DatabricksRun): boolean {
  return run.state.terminal && ((run.state.result !== undefined && FAILED_RESULTS.has(run.state.result)) || run.state.lifeCycleState === 'INTERNAL_ERROR');
}

/**
 * A finished Databricks job run as a report: the failed task, its error (runs/get-output of the
 * task run: the job run's own id is refused there) and the tail of its output.
 */
export async function databricksReport(client: DatabricksClient, runId: number, model: string | undefined): Promise<ExternalRunReport> {
  const run = await client.getRun(runId);
  const failed = databricksFailed(run);
  let failedStep: string | undefined;
  let error: string | undefined;
  let logLines: string[] = [];
  if (failed) {
    const task = run.tasks.find((t) => t.state.result !== undefined && FAILED_RESULTS.has(t.state.result) && t.state.result !== 'UPSTREAM_FAILED') ?? run.tasks.find((t) => t.state.result !== 'SUCCESS');
    if (task) {
      failedStep = `task ${task.taskKey}`;
      const out = await client.getRunOutput(task.runId);
      error = out.error ?? (task.state.message || undefined);
      const text = out.errorTrace ?? out.logs ?? '';
      logLines = text.split('\n').filter((l) => l.trim() !== '').slice(-TAIL);
    }
    error ??= run.state.message || `The run ended ${run.state.result ?? run.state.lifeCycleState}.`;
  }
  return {
    key: reportKey('databricks', run.runId),
    source: 'databricks',
    runId: run.runId,
    targetId: run.jobId ?? 0,
    targetName: run.runName || `job ${run.jobId ?? '?'}`,
    runName: run.runName,
    outcome: failed ? 'failed' : 'succeeded',
    result: run.state.result ?? run.state.lifeCycleState,
    failedStep,
    error,
    logLines,
    url: run.runPageUrl,
    triggeredBy: run.creator ? { name: run.creator, upn: run.creator.includes('@') ? run.creator : undefined, id: undefined } : undefined,
    reason: run.trigger,
    branch: undefined,
    parameters: run.jobParameters ?? {},
    finishedAt: run.endTime?.toISOString(),
    model,
    retries: [],
  };
}
