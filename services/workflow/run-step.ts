import { ServiceError } from '../http/errors';
import { stepApproval, stepDeploy } from './deploy-steps';
import { stepRelayRun } from './devops-relay';
import type { RunStore } from './run-store';
import { currentStage, type RunRecord } from './run.types';
import { stepSmoke } from './smoke-steps';
import { errorText, stepCi, stepRegistered, stepTraining, type StepDeps } from './stage-steps';
import { begin, fail, type Transition } from './transitions';

/**
 * The run's next transition, asked of the system its current stage runs on, or undefined when
 * there is nothing new (or a service is unavailable). Entering the approval stage is the engine's
 * own step (`openApproval`: it changes other runs too).
 */
export async function nextTransition(run: RunRecord, deps: StepDeps & { runs: RunStore }, openApproval: (run: RunRecord) => Promise<Transition>): Promise<Transition | undefined> {
  try {
    return await step(run, deps, openApproval);
  } catch (e) {
    // A throttled or unavailable service (after the client's own retries) is not the run's
    // fault: the run stays where it is and the next pass tries again.
    if (e instanceof ServiceError && e.retryable) {
      deps.logger.warn('service unavailable; the run waits for the next pass', { runId: run.id, error: e });
      return undefined;
    }
    // Any other failure ends the run with the error; it is recorded, not lost.
    deps.logger.warn('stage step failed', { runId: run.id, error: e });
    const stage = currentStage(run);
    if (!stage) return undefined;
    const t = begin(run);
    fail(t, stage.id, errorText(e), [], deps.now());
    return t;
  }
}

async function step(run: RunRecord, deps: StepDeps & { runs: RunStore }, openApproval: (run: RunRecord) => Promise<Transition>): Promise<Transition | undefined> {
  if (run.kind === 'relay') return stepRelayRun(run, deps.devops, deps.now(), deps.sender);
  const stage = currentStage(run);
  if (!stage) return undefined;
  switch (stage.id) {
    case 'ci':
      return stepCi(run, deps);
    case 'training':
      return stepTraining(run, deps);
    case 'registered':
      return stepRegistered(run, deps);
    case 'approval':
      return stage.state === 'running' ? openApproval(run) : stepApproval(run, deps);
    case 'deploy':
      return stepDeploy(run, deps, deps.runs);
    case 'smoke':
      return stepSmoke(run, deps);
  }
}
