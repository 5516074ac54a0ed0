import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { FaultRegistry, type FaultRule, type FaultService } from '../../sandbox/common/faults';
import type { Logger } from '../../services/logger';

/**
 * Instruments for the fault soak: a seeded random source (pure-rand, the generator fast-check
 * uses, so a seed replays the same fault sequence), a fault registry that counts every backend
 * call and every fault it injected, and a logger that counts the retries the clients report.
 */
export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => unsafeUniformIntDistribution(0, 0x7fffffff, rng) / 0x80000000;
}

/** A label per fault kind, as the soak reports them. */
export function faultLabel(rule: FaultRule): string {
  if (rule.kind !== 'status') return rule.kind;
  return `${rule.status ?? 503}${rule.retryAfterSeconds !== undefined ? ` retry-after=${rule.retryAfterSeconds}s` : ''}`;
}

/**
 * The sandbox's registry, unchanged in behaviour, counting what it decided. The sandbox server
 * acts on the first reset/timeout/status hit in rule order, so that one is the injected fault.
 */
export class CountingFaultRegistry extends FaultRegistry {
  readonly calls = new Map<string, number>();
  readonly injected = new Map<string, number>();
  /** Per `service operation`: calls that got a fault instead of reaching the route's handler. */
  readonly refused = new Map<string, number>();
  /** Per `service operation` and fault label. */
  private readonly refusedBy = new Map<string, number>();

  override take(service: Exclude<FaultService, '*'>, operation: string): FaultRule[] {
    const hits = super.take(service, operation);
    const key = `${service} ${operation}`;
    bump(this.calls, key);
    const fault = hits.find((h) => h.kind !== 'latency' && h.kind !== 'malformed');
    if (fault) {
      bump(this.injected, faultLabel(fault));
      bump(this.refused, key);
      bump(this.refusedBy, `${key} ${faultLabel(fault)}`);
    }
    return hits;
  }

  /** Calls of this operation that reached its handler (a side effect happened at most this often). */
  handled(service: Exclude<FaultService, '*'>, operation: string): number {
    const key = `${service} ${operation}`;
    return (this.calls.get(key) ?? 0) - (this.refused.get(key) ?? 0);
  }

  /** Calls of this operation refused with one of these fault labels. */
  refusedWith(service: Exclude<FaultService, '*'>, operation: string, labels: readonly string[]): number {
    return labels.reduce((a, l) => a + (this.refusedBy.get(`${service} ${operation} ${l}`) ?? 0), 0);
  }

  total(map: Map<string, number>): number {
    return [...map.values()].reduce((a, b) => a + b, 0);
  }
}

export interface RetryCounts {
  /** Per service: retries the HTTP pipelines logged ("retrying"), i.e. attempts after the first. */
  retries: Map<string, number>;
  /** Passes in which a run stayed put because a service was still failing after the client's retries. */
  readonly runWaits: number;
  /** All client retries. */
  total(): number;
  logger: Logger;
}

/** A silent logger that counts the retry lines every client writes (HttpPipeline, withRetries, the ACI policy). */
export function retryCountingLogger(): RetryCounts {
  const retries = new Map<string, number>();
  let runWaits = 0;
  const make = (base: Record<string, unknown>): Logger => {
    const warn = (msg: string, fields?: Record<string, unknown>): void => {
      const all = { ...base, ...(fields ?? {}) };
      if (msg === 'retrying') bump(retries, typeof all.service === 'string' ? all.service : 'unknown');
      if (msg.startsWith('service unavailable')) runWaits += 1;
    };
    return { debug: () => undefined, info: () => undefined, warn, error: () => undefined, child: (f) => make({ ...base, ...f }) };
  };
  return {
    retries,
    get runWaits() {
      return runWaits;
    },
    total: () => [...retries.values()].reduce((a, b) => a + b, 0),
    logger: make({}),
  };
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
