import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDatabricksNotification, InvalidNotificationError } from '../../services/databricks/databricks-notification.parser';
import { databricksErrorParser, parseTrainingResult, toJob, toRun, toRunState } from '../../services/databricks/databricks.mappers';

const DIR = join(__dirname, '..', 'fixtures', 'protocols', 'databricks');
const fixture = (f: string): unknown => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown;

describe('Databricks parsers on the real examples', () => {
  it.each(readdirSync(DIR).filter((f) => f.startsWith('webhook-')))('parses the documented webhook payload %s', (file) => {
    const body = fixture(file) as { event_type: string; task?: unknown };
    const n = parseDatabricksNotification(body);
    expect(n.eventType).toBe(body.event_type);
    expect(n.workspaceId).toBe('your_workspace_id');
    expect(n.jobId).toBe('job_id');
    if (body.task) expect(n).toMatchObject({ level: 'task', taskKey: 'task_name', runId: 'run_id_of_task', parentRunId: 'run_id_of_parent_job_run' });
    else expect(n).toMatchObject({ level: 'job', runId: 'run_id', parentRunId: undefined });
  });

  it('rejects a payload that is not a job notification with a typed error', () => {
    expect(() => parseDatabricksNotification({ event_type: 'model.registered' })).toThrow(InvalidNotificationError);
  });

  it('reads code and message from the real error bodies, numeric and legacy ones too', () => {
    expect(databricksErrorParser(fixture('error-job-does-not-exist-400.json'), '')).toEqual({ code: 'INVALID_PARAMETER_VALUE', message: 'Job 0 does not exist.' });
    expect(databricksErrorParser(fixture('error-get-output-multitask-400.json'), '').message).toMatch(/^Retrieving the output of runs with multiple tasks/);
    expect(databricksErrorParser({ error_code: 1001, message: 'm' }, '')).toEqual({ code: '1001', message: 'm' });
    expect(databricksErrorParser({ error: 'legacy' }, '')).toEqual({ message: 'legacy' });
  });

  it('reads the task keys of the paginated 2.2 jobs/get example', () => {
    const job = toJob(fixture('jobs-2.2-get-paginated-response.json') as Record<string, unknown>);
    expect(job.jobId).toBe(11223344);
    expect(job.taskKeys).toEqual(['task-1', 'task-2', 'task-...', 'task-100']);
  });

  it('maps the real SUBMIT_RUN runs/get response (deprecated state only)', () => {
    const run = toRun({
      cleanup_duration: 0, creator_user_name: '6c9f047b-87dc-4b15-99ce-123', end_time: 1696021881451, execution_duration: 591000, job_id: 298120471834650,
      number_in_job: 969479553499872, run_id: 969479553499872, run_name: 'dagster-run', run_page_url: 'https://asdf.cloud.databricks.com/?o=8550218739037906#job/298120471834650/run/969479553499872',
      run_type: 'SUBMIT_RUN', setup_duration: 338000, start_time: 1696020951379,
      state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS', state_message: '', user_cancelled_or_timedout: false },
      tasks: [{ attempt_number: 0, cleanup_duration: 0, cluster_instance: { cluster_id: '0929-205554-jm9y8aqe', spark_context_id: '2683025026034934417' }, end_time: 1696021881344, execution_duration: 591000 }],
    });
    expect(run).toMatchObject({ runId: 969479553499872, runType: 'SUBMIT_RUN', state: { terminal: true, result: 'SUCCESS' }, durations: { setupMs: 338000, executionMs: 591000 } });
    expect(run.tasks[0]!.clusterId).toBe('0929-205554-jm9y8aqe');
  });

  it('maps the real library-failure state and a status-only answer', () => {
    const failed = toRunState({ state: { life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED', state_message: "Library installation failed for library due to user error. Error messages:\n'Manage' permissions are required to install libraries on a cluster", user_cancelled_or_timedout: false } });
    expect(failed).toMatchObject({ terminal: true, result: 'FAILED', phase: 'terminated' });
    const statusOnly = toRunState({ status: { state: 'TERMINATED', termination_details: { code: 'USER_CANCELED', type: 'CLIENT_ERROR', message: 'x' } } });
    expect(statusOnly).toMatchObject({ terminal: true, result: 'CANCELED', userCancelledOrTimedOut: true });
    expect(toRunState({ status: { state: 'RUNNING' } })).toMatchObject({ phase: 'running', terminal: false, result: undefined });
  });

  it('finds the training result in the last MLOPS_RESULT log line or a notebook result', () => {
    const logs = 'MLflow run: abc\nMLOPS_RESULT {"mlflow_run_id":"abc","experiment_id":7,"model_name":"m","model_version":4}\n';
    expect(parseTrainingResult(logs)).toEqual({ mlflowRunId: 'abc', experimentId: '7', modelName: 'm', modelVersion: '4' });
    expect(parseTrainingResult('MLOPS_RESULT {broken')).toBeUndefined();
    expect(parseTrainingResult('{"mlflow_run_id":"x"}')).toMatchObject({ mlflowRunId: 'x' });
  });
});
