import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../common/clock';
import type { Logger } from '../../services/logger';
import { ScoringServer, type ScoringMode } from '../scoring/scoring-server';
import { containerView, groupWire, type WireEvent } from './container-groups.wire';

/**
 * The ARM sandbox's container groups and their life on the sandbox clock:
 * Pending → Creating → Succeeded (group Running, a real scoring server listening) or Failed.
 * State is derived from the clock whenever a request looks at a group, so a test that speeds
 * the clock up or advances it sees the group move without timers.
 */
export interface Timings {
  /** Simulated ms in Pending (queued, pulling), then in Creating. */
  pendingMs: number;
  creatingMs: number;
  /** A crashing container restarts every this many simulated ms. */
  crashLoopMs: number;
}
export const DEFAULT_TIMINGS: Timings = { pendingMs: 5_000, creatingMs: 15_000, crashLoopMs: 10_000 };

export interface Modes {
  crash: boolean;
  provisionFail: boolean;
  scoring: ScoringMode;
}

export interface StoredContainer {
  name: string;
  image: string;
  /** Wire `properties` as sent, secure values included: the container "sees" them, no answer does. */
  properties: Record<string, unknown>;
}

export interface GroupRecord {
  key: string;
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  regionSlug: string;
  body: Record<string, unknown>;
  containers: StoredContainer[];
  modes: Modes;
  operationId: string;
  operationStartIso: string;
  startedAt: number;
  /** When the containers last (re)started after provisioning; set on first Running. */
  runningSince?: number;
  restartsByUser: number;
  scoring?: ScoringServer;
  port?: number;
  logs: Array<{ t: number; line: string }>;
  groupEvents: WireEvent[];
  busy: Promise<void>;
}

export type Phase = 'Pending' | 'Creating' | 'Succeeded' | 'Failed';

export class ContainerGroupStore {
  readonly groups = new Map<string, GroupRecord>();
  readonly operations = new Map<string, string>();
  /** The final answer of each operation whose group a later PUT replaced, by operation id (ARM keeps answering it). */
  readonly endedOperations = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly clock: SandboxClock,
    readonly timings: Timings,
    private readonly logger: Logger,
  ) {}

  static key(sub: string, rg: string, name: string): string {
    return `${sub}/${rg}/${name}`.toLowerCase();
  }

  get(sub: string, rg: string, name: string): GroupRecord | undefined {
    return this.groups.get(ContainerGroupStore.key(sub, rg, name));
  }

  list(sub: string, rg: string): GroupRecord[] {
    return [...this.groups.values()].filter((g) => g.subscriptionId.toLowerCase() === sub.toLowerCase() && g.resourceGroup.toLowerCase() === rg.toLowerCase());
  }

  /** Create or replace; returns the record and whether it existed (200 vs 201). */
  async put(sub: string, rg: string, name: string, body: Record<string, unknown>, containers: StoredContainer[], modes: Modes): Promise<{ g: GroupRecord; existed: boolean }> {
    const key = ContainerGroupStore.key(sub, rg, name);
    const old = this.groups.get(key);
    if (old) await this.stopScoring(old);
    const location = String(body.location);
    const now = this.clock.now();
    const g: GroupRecord = {
      key,
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`,
      subscriptionId: sub,
      resourceGroup: rg,
      name,
      location,
      regionSlug: location.replace(/\s+/g, '').toLowerCase(),
      body,
      containers,
      modes,
      operationId: randomUUID(),
      operationStartIso: new Date(now).toISOString(),
      startedAt: now,
      restartsByUser: 0,
      logs: old?.logs ?? [],
      groupEvents: [],
      busy: Promise.resolve(),
    };
    this.groups.set(key, g);
    this.operations.set(g.operationId, key);
    return { g, existed: old !== undefined };
  }

  async delete(g: GroupRecord): Promise<void> {
    this.groups.delete(g.key);
    await this.stopScoring(g);
  }

  async restart(g: GroupRecord): Promise<void> {
    await this.serialize(g, async () => {
      await this.stopScoring(g, true);
      g.restartsByUser += 1;
      if (g.runningSince !== undefined) g.runningSince = this.clock.now();
    });
    await this.refresh(g);
  }

  async closeAll(): Promise<void> {
    for (const g of this.groups.values()) await this.stopScoring(g);
  }

  phase(g: GroupRecord): Phase {
    const elapsed = this.clock.now() - g.startedAt;
    if (elapsed < this.timings.pendingMs) return 'Pending';
    if (elapsed < this.timings.pendingMs + this.timings.creatingMs) return 'Creating';
    return g.modes.provisionFail ? 'Failed' : 'Succeeded';
  }

  readyAt(g: GroupRecord): number {
    return g.startedAt + this.timings.pendingMs + this.timings.creatingMs;
  }

  /**
   * Brings the "processes" in line with the clock: start the scoring server once Running. Returns
   * the phase it brought them in line with, which is the phase the request must report: read again
   * later, the clock (×400 in tests) may have moved past the end of Creating, and the group would be
   * reported running, with the container's own port, before its server listens (a smoke test then
   * asked port 5001 for two minutes: the fault soak's stuck run, sixth round).
   */
  async refresh(g: GroupRecord): Promise<Phase> {
    let seen: Phase = 'Pending';
    await this.serialize(g, async () => {
      seen = this.phase(g);
      if (seen !== 'Succeeded' || !this.groups.has(g.key)) return;
      if (g.runningSince === undefined) {
        g.runningSince = this.readyAt(g);
        if (g.modes.crash) this.crashLog(g);
      }
      if (g.modes.crash || g.scoring) return;
      const first = g.containers[0];
      const env = envOf(first);
      const server = new ScoringServer({
        image: first?.image ?? '',
        ...(env.MODEL_VERSION ? { modelVersion: env.MODEL_VERSION } : {}),
        ...(env.MODEL_NAME ? { modelName: env.MODEL_NAME } : {}),
        mode: g.modes.scoring,
        log: (line) => this.log(g, line),
        ...(g.port !== undefined ? { port: g.port } : {}),
      });
      g.port = await server.start();
      g.scoring = server;
      this.logger.info('container group running', { group: g.name, port: g.port });
    });
    return seen;
  }

  /** The simulated number of crash-restarts so far. */
  crashRestarts(g: GroupRecord): number {
    if (!g.modes.crash || g.runningSince === undefined) return 0;
    return Math.floor((this.clock.now() - g.runningSince) / this.timings.crashLoopMs) + 1;
  }

  /** The group as ARM shows it, in `phase`: the one its refresh saw (see `refresh`). */
  wire(g: GroupRecord, withInstanceView: boolean, phase: Phase): Record<string, unknown> {
    const containers = g.containers.map((c, i) => {
      const view = withInstanceView ? containerView(g, phase, i === 0, this.crashRestarts(g), this.timings) : undefined;
      return { name: c.name, properties: { ...redactContainer(c.properties), ...(view ? { instanceView: view } : {}) } };
    });
    return groupWire(g, phase, containers, withInstanceView);
  }

  logContent(g: GroupRecord, tail: number | undefined, timestamps: boolean): string {
    const lines = g.logs.map((l) => (timestamps ? `${new Date(l.t).toISOString()} ${l.line}` : l.line)).flatMap((l) => l.split('\n'));
    const picked = tail !== undefined && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
    return picked.length ? picked.join('\n') + '\n' : '';
  }

  private log(g: GroupRecord, line: string): void {
    g.logs.push({ t: this.clock.now(), line });
    if (g.logs.length > 5000) g.logs.splice(0, g.logs.length - 5000);
  }

  private crashLog(g: GroupRecord): void {
    this.log(g, `Loading model ${g.containers[0]?.image ?? ''}`);
    this.log(
      g,
      [
        'Traceback (most recent call last):',
        '  File "/app/score.py", line 17, in <module>',
        '    model = mlflow.pyfunc.load_model(os.environ["MODEL_URI"])',
        '  File "/usr/local/lib/python3.11/site-packages/mlflow/pyfunc/__init__.py", line 1027, in load_model',
        '    raise MlflowException(f"Could not find a model at {model_uri}")',
        'mlflow.exceptions.MlflowException: Could not find a model at models:/missing/1',
      ].join('\n'),
    );
  }

  private async stopScoring(g: GroupRecord, keepPort = false): Promise<void> {
    const s = g.scoring;
    g.scoring = undefined;
    if (!keepPort) g.port = undefined;
    if (s) await s.stop();
  }

  /** One refresh/restart at a time per group, so two concurrent polls cannot start two servers. */
  private serialize(g: GroupRecord, fn: () => Promise<void>): Promise<void> {
    const next = g.busy.then(fn);
    g.busy = next.catch(() => undefined);
    return next;
  }
}

export function envOf(c: StoredContainer | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const vars = c?.properties.environmentVariables;
  if (Array.isArray(vars)) {
    for (const v of vars as Array<{ name?: unknown; value?: unknown; secureValue?: unknown }>) {
      if (typeof v.name === 'string') out[v.name] = typeof v.value === 'string' ? v.value : typeof v.secureValue === 'string' ? v.secureValue : '';
    }
  }
  return out;
}

/** Secure values never leave the sandbox, as in ARM: the variable's name is echoed, not its value. */
function redactContainer(props: Record<string, unknown>): Record<string, unknown> {
  const vars = props.environmentVariables;
  if (!Array.isArray(vars)) return props;
  return {
    ...props,
    environmentVariables: (vars as Array<Record<string, unknown>>).map((v) => {
      if (v.secureValue === undefined) return v;
      const { secureValue: _s, ...rest } = v;
      return rest;
    }),
  };
}
