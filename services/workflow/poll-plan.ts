import type { AzureDevOpsClient } from '../azure-devops/azure-devops.client';
import type { DatabricksClient } from '../databricks/databricks.client';
import type { MlopsConfig } from '../config/mlops-config.schema';
import type { Logger } from '../logger';
import { currentStage, type RunRecord } from './run.types';

/**
 * Which unfinished runs a polling pass must look at closely. A few list calls (Azure DevOps: the
 * in-progress builds of each CI pipeline; Databricks: the active runs) tell which external runs
 * are still busy in the state we last saw; those runs are skipped this pass, so the pass costs a
 * handful of list calls however many runs wait on CI or training. Every `refreshEvery` passes a
 * busy training run is looked at anyway, so its live metrics keep coming.
 */
export interface PollPlanDeps {
  devops: AzureDevOpsClient | undefined;
  databricks: DatabricksClient | undefined;
  models: MlopsConfig['models'];
  logger: Logger;
}

/** 50 pages of 200: 10,000 builds in progress per pipeline before runs are polled one by one. */
const MAX_BUSY_PAGES = 50;

export async function runsToAdvance(runs: readonly RunRecord[], deps: PollPlanDeps, pass: number, refreshEvery = 5): Promise<RunRecord[]> {
  const inCi = runs.filter((r) => currentStage(r)?.id === 'ci' && r.ci?.devopsRunId !== undefined);
  const inTraining = runs.filter((r) => currentStage(r)?.id === 'training' && r.training?.databricksRunId !== undefined);
  const busyBuilds = new Set<number>();
  const busyDatabricks = new Map<number, string>();
  try {
    if (deps.devops && inCi.length > 1) {
      const pipelines = new Set(inCi.map((r) => deps.models[r.model]?.ci?.azureDevOpsPipelineId).filter((p): p is number => p !== undefined));
      for (const pipelineId of pipelines) {
        // Every page (bounded): a busy build left off the list would be polled on its own, and
        // with 1,000 runs in CI that was 800 runs polled one by one each pass (issue 13).
        let pages = 0;
        for await (const page of deps.devops.listRuns(pipelineId, { state: 'inProgress', pageSize: 200 }).byPage()) {
          page.forEach((b) => busyBuilds.add(b.id));
          if (++pages >= MAX_BUSY_PAGES) break;
        }
      }
    }
    if (deps.databricks && inTraining.length > 1) {
      for await (const r of deps.databricks.listActiveRuns()) busyDatabricks.set(r.runId, r.state.lifeCycleState);
    }
  } catch (error) {
    // Without the lists, every run is looked at: slower, never wrong.
    deps.logger.warn('list calls for polling failed; polling each run', { error });
    return [...runs];
  }
  const refresh = pass % refreshEvery === 0;
  return runs.filter((r) => {
    const stage = currentStage(r);
    if (stage?.id === 'ci' && inCi.length > 1 && r.ci?.devopsRunId !== undefined && busyBuilds.has(r.ci.devopsRunId)) return false;
    if (stage?.id === 'training' && inTraining.length > 1 && r.training?.databricksRunId !== undefined && !refresh) {
      const state = busyDatabricks.get(r.training.databricksRunId);
      // Still active and in the life-cycle state last stored for it: nothing new but metrics.
      if (state && r.training.lifeCycle === state) return false;
    }
    return true;
  });
}
