import { toRun, toRunState } from '../../services/databricks/databricks.mappers';
import { TERMINATION_CODES } from '../../services/databricks/termination-codes';

const terminated = (code: string, type = 'CLIENT_ERROR'): Record<string, unknown> => ({ status: { state: 'TERMINATED', termination_details: { code, type, message: `m-${code}` } } });

describe('Databricks termination codes and retried tasks', () => {
  it('knows every TerminationCodeCode of databricks-sdk-go service/jobs and no invented one', () => {
    expect(Object.keys(TERMINATION_CODES).sort()).toEqual([
      'BUDGET_POLICY_LIMIT_EXCEEDED', 'CANCELED', 'CLOUD_FAILURE', 'CLUSTER_ERROR', 'CLUSTER_REQUEST_LIMIT_EXCEEDED', 'DISABLED', 'DRIVER_ERROR',
      'FEATURE_DISABLED', 'INTERNAL_ERROR', 'INVALID_CLUSTER_REQUEST', 'INVALID_RUN_CONFIGURATION', 'LIBRARY_INSTALLATION_ERROR',
      'MAX_CONCURRENT_RUNS_EXCEEDED', 'MAX_JOB_QUEUE_SIZE_EXCEEDED', 'MAX_SPARK_CONTEXTS_EXCEEDED', 'REPOSITORY_CHECKOUT_FAILED', 'RESOURCE_NOT_FOUND',
      'RUN_EXECUTION_ERROR', 'SKIPPED', 'STORAGE_ACCESS_ERROR', 'SUCCESS', 'SUCCESS_WITH_FAILURES', 'UNAUTHORIZED_ERROR', 'USER_CANCELED', 'WORKSPACE_RUN_LIMIT_EXCEEDED',
    ]);
    expect('RUN_TIMEOUT' in TERMINATION_CODES).toBe(false);
  });

  it('reads a timeout as the platform canceling the run (CANCELED), a user cancel as USER_CANCELED', () => {
    expect(toRunState(terminated('CANCELED'))).toMatchObject({ terminal: true, result: 'CANCELED', canceledBy: 'platform', message: 'm-CANCELED' });
    expect(toRunState(terminated('USER_CANCELED'))).toMatchObject({ result: 'CANCELED', canceledBy: 'user' });
  });

  it('maps failures, skips and limits, and falls back on the type for a code newer than the list', () => {
    expect(toRunState(terminated('LIBRARY_INSTALLATION_ERROR')).result).toBe('FAILED');
    expect(toRunState(terminated('MAX_CONCURRENT_RUNS_EXCEEDED')).result).toBe('MAXIMUM_CONCURRENT_RUNS_REACHED');
    expect(toRunState(terminated('SKIPPED')).result).toBe('SKIPPED');
    expect(toRunState(terminated('SOME_FUTURE_CODE', 'SUCCESS')).result).toBe('SUCCESS');
    expect(toRunState(terminated('SOME_FUTURE_CODE', 'CLOUD_FAILURE')).result).toBe('FAILED');
  });

  it('reads the latest attempt of a retried task (several entries with the same task_key)', () => {
    const run = toRun({
      run_id: 1,
      tasks: [
        { task_key: 'train', run_id: 11, attempt_number: 0, ...terminated('RUN_EXECUTION_ERROR') },
        { task_key: 'prep', run_id: 10, attempt_number: 0, ...terminated('SUCCESS', 'SUCCESS') },
        { task_key: 'train', run_id: 13, attempt_number: 2, status: { state: 'RUNNING' } },
        { task_key: 'train', run_id: 12, attempt_number: 1, ...terminated('DRIVER_ERROR') },
      ],
    });
    expect(run.tasks.map((t) => [t.taskKey, t.runId, t.attemptNumber, t.state.phase])).toEqual([
      ['train', 13, 2, 'running'],
      ['prep', 10, 0, 'terminated'],
    ]);
  });
});
