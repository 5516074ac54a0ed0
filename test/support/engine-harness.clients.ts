import type { AciClient } from '../../services/aci/aci.client';
import type { ContainerGroupState } from '../../services/aci/aci.types';
import type { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import type { Approval, PipelineRun } from '../../services/azure-devops/azure-devops.types';
import type { DatabricksClient } from '../../services/databricks/databricks.client';
import type { DatabricksRunOutput, DatabricksRunState } from '../../services/databricks/databricks.types';
import { ServiceError, type ServiceName } from '../../services/http/errors';
import type { RegistryClient } from '../../services/registry/registry.client';
import type { ModelVersion } from '../../services/registry/registry.types';

/**
 * Recording stand-ins for the four service clients the engine calls (Azure DevOps, Databricks,
 * the model registry, ACI), answering from a world the test sets. They sit at the client
 * interface, where the engine's rules end: what each client does on the wire is tested against
 * the sandbox and the recorded responses elsewhere (test/integration, test/contract). Every call
 * is recorded (operation and arguments) and can be made to fail on demand, so a test asserts on
 * the calls the engine made as well as on the stored run.
 */
export interface Call {
  op: string;
  args: unknown[];
}

/** What the services hold; each answer is read from here at call time. */
export interface World {
  /** Azure DevOps builds by run id (getBuild). */
  builds: Map<number, Partial<PipelineRun>>;
  /** getFailedTaskLog's answer (undefined: no failed task found). */
  failedLog: { task?: { name?: string; issues?: { message: string }[] }; lines?: string[] } | undefined;
  /** Databricks runs by run id: their state and the output of their one task. */
  jobs: Map<number, { state: Partial<DatabricksRunState>; output?: Partial<DatabricksRunOutput>; runPageUrl?: string }>;
  /** Model versions of the registered model, by version. */
  versions: Map<string, Partial<ModelVersion>>;
  /** What each environment's alias or stage points at (getDeployed). */
  deployed: Map<string, string>;
  /** MLflow runs: their latest metrics and metric histories. */
  mlflowRuns: Map<string, { metrics: Record<string, number>; history?: Record<string, { step: number; value: number }[]> }>;
  /** Container groups by name (aci.get after a PUT). */
  groups: Map<string, Partial<ContainerGroupState>>;
  /** Container logs (aci.getLogs). */
  logs: string;
  /** The answer of POST /score, or an error to throw. */
  score: { status: number; latencyMs: number; body: string } | Error;
  /** Azure DevOps runs in progress per pipeline (listRuns), and the approvals pending on each run (by approval id). */
  inProgress: Map<number, number[]>;
  approvals: Map<string, Approval>;
}

export function emptyWorld(): World {
  return { builds: new Map(), failedLog: undefined, jobs: new Map(), versions: new Map(), deployed: new Map(), mlflowRuns: new Map(), groups: new Map(), logs: '', score: { status: 200, latencyMs: 40, body: '{"predictions":[1]}' }, inProgress: new Map(), approvals: new Map() };
}

/** Records every call and throws the faults queued for an operation, one per call. */
export class Recorder {
  readonly calls: Call[] = [];
  private readonly faults = new Map<string, Error[]>();
  private readonly holds = new Map<string, Promise<void>[]>();

  /** The next `times` calls of `op` (e.g. 'devops.getBuild') throw `error`. */
  failNext(op: string, error: Error, times = 1): void {
    this.faults.set(op, [...(this.faults.get(op) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  /** The next call of `op` waits until the returned function is called (a call in flight, for races). */
  holdNext(op: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.holds.set(op, [...(this.holds.get(op) ?? []), gate]);
    return release;
  }

  async call<T>(op: string, args: unknown[], answer: () => T | Promise<T>): Promise<T> {
    this.calls.push({ op, args });
    const hold = this.holds.get(op)?.shift();
    if (hold) await hold;
    const fault = this.faults.get(op)?.shift();
    if (fault !== undefined) throw fault;
    return answer();
  }

  /** The operations called, in order, optionally only those of one service ('aci.'). */
  ops(prefix = ''): string[] {
    return this.calls.filter((c) => c.op.startsWith(prefix)).map((c) => c.op);
  }

  /** The arguments of every call of `op`. */
  argsOf(op: string): unknown[][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }
}

/** A throttled or unavailable service after the client's own retries: the run must wait. */
export function transient(service: ServiceName, operation: string): ServiceError {
  return new ServiceError({ service, operation, status: 503, message: 'Service Unavailable', requestId: 'req-503', retryable: true });
}

/** A refusal no retry changes: the run must fail with it. */
export function fatal(service: ServiceName, operation: string, message = 'Bad Request'): ServiceError {
  return new ServiceError({ service, operation, status: 400, code: 'INVALID_PARAMETER_VALUE', message, requestId: 'req-400', retryable: false });
}

const state = (s: Partial<DatabricksRunState>): DatabricksRunState => ({ phase: 'running', lifeCycleState: 'RUNNING', result: undefined, terminal: false, message: '', terminationCode: undefined, terminationType: undefined, userCancelledOrTimedOut: false, canceledBy: undefined, ...s });

export function devopsStandIn(world: World, rec: Recorder): AzureDevOpsClient {
  let nextId = 100;
  const client = {
    runPipeline: (pipelineId: number, options: unknown) =>
      rec.call('devops.runPipeline', [pipelineId, options], () => {
        const id = nextId++;
        world.builds.set(id, { state: 'inProgress' });
        return { id, name: `20261126.${id}`, webUrl: `https://dev.azure.com/org/p/_build/results?buildId=${id}` };
      }),
    getBuild: (id: number) => rec.call('devops.getBuild', [id], () => ({ id, name: String(id), state: 'inProgress', result: undefined, tags: [], ...world.builds.get(id) })),
    getFailedTaskLog: (id: number, options: unknown) => rec.call('devops.getFailedTaskLog', [id, options], () => world.failedLog),
    cancelRun: (id: number) => rec.call('devops.cancelRun', [id], () => ({ id })),
    getRun: (pipelineId: number, id: number) => rec.call('devops.getRun', [pipelineId, id], () => ({ id, pipelineId })),
    listPendingApprovals: (runId: number) => rec.call('devops.listPendingApprovals', [runId], () => [...world.approvals.values()].filter((a) => a.runId === runId && a.status === 'pending')),
    getApproval: (id: string) => rec.call('devops.getApproval', [id], () => world.approvals.get(id)),
    approve: (id: string, comment: string) => rec.call('devops.approve', [id, comment], () => undefined),
    reject: (id: string, comment: string) => rec.call('devops.reject', [id, comment], () => undefined),
    listRuns: (pipelineId: number, options: unknown) => ({
      async *byPage() {
        // One page of the runs in progress (none by default), unless a fault was queued.
        const ids = await rec.call('devops.listRuns', [pipelineId, options], () => world.inProgress.get(pipelineId) ?? []);
        if (ids.length > 0) yield ids.map((id) => ({ id }) as PipelineRun);
      },
    }),
  };
  return client as unknown as AzureDevOpsClient;
}

export function databricksStandIn(world: World, rec: Recorder): DatabricksClient {
  let nextId = 500;
  const getRun = (runId: number) =>
    rec.call('databricks.getRun', [runId], () => {
      const job = world.jobs.get(runId);
      if (!job) throw fatal('databricks', 'runs.get', `run ${runId} does not exist`);
      return { runId, runName: '', runPageUrl: job.runPageUrl, state: state(job.state), tasks: [{ taskKey: 'train', runId: runId * 10, state: state(job.state) }] };
    });
  const client = {
    listSparkVersions: () => rec.call('databricks.listSparkVersions', [], () => [{ key: '15.4.x-cpu-ml-scala2.12', name: '15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)' }, { key: '15.4.x-gpu-ml-scala2.12', name: '15.4 LTS ML GPU (includes Apache Spark 3.5.0, Scala 2.12)' }]),
    beginSubmitRun: (spec: Record<string, unknown>) =>
      rec.call('databricks.submit', [spec], () => {
        const runId = nextId++;
        world.jobs.set(runId, { state: { phase: 'pending', lifeCycleState: 'PENDING' }, runPageUrl: `https://adb.example/#job/runs/${runId}` });
        return { runId, poll: () => getRun(runId) };
      }),
    getRun,
    getRunOutput: (taskRunId: number) => rec.call('databricks.getRunOutput', [taskRunId], () => ({ runId: taskRunId, logs: undefined, error: undefined, errorTrace: undefined, training: undefined, ...world.jobs.get(taskRunId / 10)?.output })),
    cancelRun: (runId: number) => rec.call('databricks.cancelRun', [runId], () => undefined),
    async *listActiveRuns() {
      /* the poll plan lists active runs only with two or more runs in training */
    },
  };
  return client as unknown as DatabricksClient;
}

export function registryStandIn(world: World, rec: Recorder): RegistryClient {
  const version = (v: string): ModelVersion => {
    const found = world.versions.get(v);
    if (!found) throw fatal('mlflow', 'modelVersions.get', `version ${v} does not exist`);
    return { name: 'main.mlops.fashion_cnn', version: v, status: 'READY', statusMessage: undefined, runId: undefined, scoringImage: undefined, tags: {}, aliases: [], ...found } as ModelVersion;
  };
  const models = (kind: string) => ({
    getLatestVersion: (name: string) => rec.call('registry.getLatestVersion', [kind, name], () => [...world.versions.keys()].filter((v) => (world.versions.get(v)?.status ?? 'READY') === 'READY').map(version).sort((a, b) => Number(b.version) - Number(a.version))[0]),
    getVersion: (name: string, v: string) => rec.call('registry.getVersion', [kind, name, v], () => version(v)),
    getDeployed: (name: string, env: string) => rec.call('registry.getDeployed', [kind, name, env], () => (world.deployed.has(env) ? version(world.deployed.get(env) as string) : undefined)),
    promote: (name: string, v: string, env: string) => rec.call('registry.promote', [kind, name, v, env], () => void world.deployed.set(env, v)),
  });
  const client = {
    models,
    getRun: (runId: string) =>
      rec.call('registry.getRun', [runId], () => {
        const r = world.mlflowRuns.get(runId);
        if (!r) throw fatal('mlflow', 'runs.get', `run ${runId} does not exist`);
        return { runId, experimentId: '1', status: 'FINISHED', metrics: r.metrics };
      }),
    async *listMetricHistory(runId: string, key: string) {
      rec.calls.push({ op: 'registry.listMetricHistory', args: [runId, key] });
      yield* world.mlflowRuns.get(runId)?.history?.[key] ?? [];
    },
  };
  return client as unknown as RegistryClient;
}

export function aciStandIn(world: World, rec: Recorder): AciClient {
  const inResourceGroup = (rg: string | undefined) => ({
    beginCreateOrUpdate: (spec: { name: string }) =>
      rec.call('aci.put', [rg, spec], () => {
        world.groups.set(spec.name, { name: spec.name, provisioningState: 'Creating', status: 'Provisioning', containers: [] });
        return { pollUntilDone: () => Promise.reject(new Error('the engine reads the state on later passes')) };
      }),
    get: (name: string) =>
      rec.call('aci.get', [rg, name], () => {
        const g = world.groups.get(name);
        if (!g) throw new ServiceError({ service: 'aci', operation: 'containerGroups.get', status: 404, code: 'ResourceNotFound', message: `${name} not found` });
        return { name, provisioningState: 'Creating', status: 'Provisioning', containers: [], events: [], scoringBaseUrl: undefined, ...g };
      }),
    getLogs: (name: string, options: unknown) => rec.call('aci.getLogs', [rg, name, options], () => world.logs),
  });
  return { inResourceGroup } as unknown as AciClient;
}
