import { HttpFault, SandboxServer, type SandboxReply, type SandboxRequest } from '../common/http-server';
import { BOT_IDENTITY, RESOURCES, authenticate, type SandboxIdentity } from '../common/sandbox-auth';
import type { TokenStore } from '../arm/token.sandbox';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';
import { silentLogger, type Logger } from '../../services/logger';
import { resolveMlRuntime } from '../../services/databricks/runtime-resolver';
import { registerJobsRoutes, startJobRun } from './jobs.routes';
import { registerNotificationRoutes, type Destination } from './notifications.routes';
import { registerMlflowRoutes } from './mlflow.routes';
import { MlflowStore } from './mlflow.store';
import { DEFAULT_TIMINGS, FAIL_MODES, type FailMode, type Timings } from './run-timeline';
import { SANDBOX_SPARK_VERSIONS } from './spark-versions.data';
import { Workspace, type WebhookSink } from './workspace.state';

/**
 * A local Azure Databricks workspace: Jobs/Clusters REST and MLflow tracking + registry on one
 * server, as on Databricks. Runs advance on the sandbox clock; see docs/sandbox/databricks.md.
 */
export interface DatabricksSandboxOptions {
  port?: number;
  clock: SandboxClock;
  faults: FaultRegistry;
  logger?: Logger;
  /** Where job notification webhooks go (the bot's /api/webhooks/databricks); none when absent. */
  notificationUrl?: string;
  /** HTTP Basic credentials of the notification destination (Databricks' generic_webhook username/password). */
  notificationAuth?: { username: string; password: string };
  /** Simulated durations (sandbox-clock ms). */
  timings?: Partial<Timings>;
  /**
   * Who may call the workspace: personal access tokens (default: SANDBOX_DATABRICKS_TOKEN, the
   * bot's) and, when `tokens` is given, Entra tokens issued for the Azure Databricks resource.
   */
  auth?: { pats?: ReadonlyMap<string, SandboxIdentity>; tokens?: TokenStore };
  /** Identity ids that are workspace admins (may create notification destinations); default: the bot's. */
  workspaceAdmins?: readonly string[];
}

/** The workspace PAT the sandbox accepts unless told otherwise (sandbox.env passes it to the bot). */
export const SANDBOX_DATABRICKS_TOKEN = 'dapi-sandbox-token';

export interface DatabricksSandbox {
  url: string;
  close(): Promise<void>;
  server: SandboxServer;
  state: DatabricksSandboxState;
}

export interface DatabricksSandboxState {
  workspace: Workspace;
  mlflow: MlflowStore;
  /** Id of the seeded training job (job-level parameters epochs, lr, batch_size). */
  trainingJobId: number;
  /** Id of a seeded job with 120 tasks, to exercise Jobs 2.2 pagination. */
  wideJobId: number;
  /** Notification destination id the seeded jobs reference. */
  webhookDestinationId: string;
  /** Webhook payloads sent so far, in order (also POSTed to notificationUrl). */
  sentNotifications: Array<Record<string, unknown>>;
}

export const TRAINING_JOB_ID = 11_223_344;
export const WIDE_JOB_ID = 22_334_455;
export const WEBHOOK_DESTINATION_ID = 'sandbox-bot-webhook';
/** Real ms between clock checks: runs progress and webhooks fire without anybody polling. */
const TICK_MS = 20;

function databricksErrorBody(status: number, code: string, message: string): unknown {
  // The common server's generic codes, in Databricks' vocabulary.
  const mapped: Record<string, string> = {
    TooManyRequests: 'REQUEST_LIMIT_EXCEEDED',
    ServiceUnavailable: status === 503 ? 'TEMPORARILY_UNAVAILABLE' : status === 500 ? 'INTERNAL_ERROR' : 'INTERNAL_SERVER_ERROR',
    NotFound: 'ENDPOINT_NOT_FOUND',
    MethodNotAllowed: 'BAD_REQUEST',
    MalformedRequest: 'MALFORMED_REQUEST',
    InternalError: 'INTERNAL_ERROR',
  };
  return { error_code: mapped[code] ?? code, message };
}

/**
 * The workspace's answers to a missing or unusable credential, as observed from Azure Databricks:
 * no (or an unsupported kind of) Authorization → 401 "Credential was not sent or was of an
 * unsupported type for this API."; a PAT or token it does not know (or an Entra token for another
 * audience) → 403 "Invalid access token." with X-Databricks-Reason-Phrase. error_code is numeric
 * in both (legacy shape). Sources in docs/sandbox/databricks.md.
 */
function databricksAuthRefusal(req: SandboxRequest, rules: Parameters<typeof authenticate>[1]): SandboxReply | undefined {
  const outcome = authenticate(req.headers.authorization, rules, false);
  if (outcome.ok) return undefined;
  if (outcome.reason === 'missing') return { status: 401, body: { error_code: 401, message: 'Credential was not sent or was of an unsupported type for this API.' } };
  return { status: 403, headers: { 'x-databricks-reason-phrase': 'Invalid access token.' }, body: { error_code: 403, message: 'Invalid access token.' } };
}

export async function startDatabricksSandbox(options: DatabricksSandboxOptions): Promise<DatabricksSandbox> {
  const logger = (options.logger ?? silentLogger).child({ sandbox: 'databricks' });
  const timings: Timings = { ...DEFAULT_TIMINGS, ...(options.timings ?? {}) };
  const sentNotifications: Array<Record<string, unknown>> = [];
  const inFlight = new Set<Promise<void>>();
  // Destinations by id: the seeded one (which the seeded jobs name) posts to notificationUrl; those
  // created through the API post to their own URL with their own Basic credentials.
  const destinations = new Map<string, Destination>([[WEBHOOK_DESTINATION_ID, { id: WEBHOOK_DESTINATION_ID, displayName: 'sandbox bot webhook', url: options.notificationUrl ?? '', username: options.notificationAuth?.username, password: options.notificationAuth?.password }]]);
  const sink: WebhookSink = {
    send(payload, destinationId) {
      sentNotifications.push(payload);
      // An id not created through the API is taken as the bot's own destination (notificationUrl), as before.
      const d = destinations.get(destinationId) ?? destinations.get(WEBHOOK_DESTINATION_ID);
      const url = d?.url;
      if (!d || !url) return;
      const authHeader = d.username !== undefined || d.password !== undefined ? `Basic ${Buffer.from(`${d.username ?? ''}:${d.password ?? ''}`).toString('base64')}` : undefined;
      const p = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authHeader ? { authorization: authHeader } : {}) }, body: JSON.stringify(payload) })
        .then(async (res) => {
          await res.text();
          if (!res.ok) logger.warn('notification refused', { status: res.status, event: payload.event_type });
        })
        .catch((err: unknown) => logger.warn('notification failed', { error: (err as Error).message, event: payload.event_type }))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
  };

  const mlflow = new MlflowStore();
  const workspace = new Workspace(options.clock, mlflow, timings, sink, logger);
  seedJobs(workspace, options.clock.now());
  const rules = { secrets: options.auth?.pats ?? new Map([[SANDBOX_DATABRICKS_TOKEN, BOT_IDENTITY]]), resource: RESOURCES.azureDatabricks, ...(options.auth?.tokens ? { tokens: options.auth.tokens } : {}) };
  const server = new SandboxServer({
    service: 'databricks',
    faults: options.faults,
    clock: options.clock,
    requestIdHeader: 'x-request-id',
    errorBody: databricksErrorBody,
    // One check in front of every Jobs, Clusters and MLflow route, as the workspace's front door.
    authenticate: (req) => databricksAuthRefusal(req, rules),
  });
  registerJobsRoutes(server, workspace, mlflow, options.clock);
  const admins = new Set(options.workspaceAdmins ?? [BOT_IDENTITY.id]);
  registerNotificationRoutes(server, workspace, destinations, (req) => {
    const outcome = authenticate(req.headers.authorization, rules, false);
    return outcome.ok && admins.has(outcome.who.identity.id);
  });
  // Sandbox control, the "UI path": someone (or the job's schedule) starts a job run; the bot did not.
  // The run differs from the bot's run-now only in creator_user_name and trigger (docs/sandbox/databricks.md).
  server.route('POST', '/_control/databricks/run-as', 'control.runAs', (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const job = workspace.jobs.get(Number(b.job_id));
    if (!job) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Job ${String(b.job_id)} does not exist.`);
    if (typeof b.user !== 'string' || b.user === '') throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', 'body must be {"job_id", "user", "trigger"?, "fail"?, "job_parameters"?}');
    const trigger = typeof b.trigger === 'string' ? b.trigger : 'ONE_TIME';
    if (!['ONE_TIME', 'PERIODIC', 'RETRY', 'RUN_JOB_TASK', 'FILE_ARRIVAL', 'TABLE'].includes(trigger)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `unknown trigger ${trigger}`);
    if (b.fail !== undefined) {
      if (!FAIL_MODES.includes(b.fail as FailMode)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `fail must be one of ${FAIL_MODES.join(', ')}`);
      workspace.failNextRun(b.fail as FailMode);
    }
    const run = startJobRun(workspace, job, { job_parameters: b.job_parameters ?? {} }, { creator: b.user, trigger });
    return { status: 200, body: { run_id: run.runId } };
  });
  registerMlflowRoutes(server, mlflow, options.clock, () => workspace.sync());
  // Sandbox control (not a Databricks API): fail the next run, for failure cards by hand.
  server.route('POST', '/_control/databricks/fail-next-run', 'control.failNextRun', (req) => {
    const mode = (req.body as { mode?: unknown } | undefined)?.mode;
    if (typeof mode !== 'string' || !FAIL_MODES.includes(mode as FailMode)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `body must be {"mode": one of ${FAIL_MODES.join(', ')}}`);
    workspace.failNextRun(mode as FailMode);
    return { status: 200, body: { failNextRun: mode } };
  });
  // Sandbox control: the next model version created ends in FAILED_REGISTRATION instead of READY.
  server.route('POST', '/_control/mlflow/fail-next-registration', 'control.failNextRegistration', () => {
    mlflow.failNextRegistration = true;
    return { status: 200, body: { failNextRegistration: true } };
  });
  const url = await server.listen(options.port ?? 0);
  workspace.baseUrl = url;
  const ticker = setInterval(() => workspace.sync(), TICK_MS);
  ticker.unref();

  return {
    url,
    server,
    state: { workspace, mlflow, trainingJobId: TRAINING_JOB_ID, wideJobId: WIDE_JOB_ID, webhookDestinationId: WEBHOOK_DESTINATION_ID, sentNotifications },
    async close() {
      clearInterval(ticker);
      await server.close();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** The training job as infra/databricks/resources/train.job.yml deploys it, on the newest LTS CPU ML runtime. */
function seedJobs(ws: Workspace, now: number): void {
  const runtime = resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: false });
  const hook = [{ id: WEBHOOK_DESTINATION_ID }];
  ws.jobs.set(TRAINING_JOB_ID, {
    jobId: TRAINING_JOB_ID,
    createdTime: now,
    settings: {
      name: 'train-fashion-cnn',
      max_concurrent_runs: 3,
      timeout_seconds: 7200,
      webhook_notifications: { on_start: hook, on_success: hook, on_failure: hook },
      parameters: [
        { name: 'epochs', default: '3' },
        { name: 'lr', default: '0.01' },
        { name: 'batch_size', default: '128' },
        { name: 'optimizer', default: 'adam' },
      ],
      tasks: [
        {
          task_key: 'train',
          new_cluster: { spark_version: runtime.key, node_type_id: 'Standard_DS3_v2', num_workers: 0, custom_tags: { ResourceClass: 'SingleNode' } },
          libraries: [{ pypi: { package: 'torch==2.5.1' } }, { pypi: { package: 'torchvision==0.20.1' } }, { pypi: { package: 'mlflow==2.19.0' } }],
          spark_python_task: {
            python_file: '/Workspace/Shared/mlops-chatops/files/src/train.py',
            parameters: ['--model-name', 'main.mlops.fashion_cnn', '--registry', 'unity-catalog', '--data-dir', '/Volumes/main/mlops/data/fashion-mnist', '--epochs', '{{job.parameters.epochs}}', '--lr', '{{job.parameters.lr}}', '--batch_size', '{{job.parameters.batch_size}}', '--optimizer', '{{job.parameters.optimizer}}', '--databricks-run-id', '{{job.run_id}}'],
          },
        },
      ],
    },
  });
  ws.jobs.set(WIDE_JOB_ID, {
    jobId: WIDE_JOB_ID,
    createdTime: now,
    settings: { name: 'wide-etl', tasks: Array.from({ length: 120 }, (_v, i) => ({ task_key: `task-${i + 1}`, notebook_task: { notebook_path: `/Shared/etl/step-${i + 1}` } })) },
  });
}
