import { z } from 'zod';

/**
 * Faults on demand, per service and operation: latency, throttling with or without Retry-After,
 * 5xx, hanging calls, connection resets and malformed JSON, for the next N calls or at a rate.
 * Set from the SANDBOX_FAULTS environment variable (a JSON array of rules) or at run time
 * through POST /_sandbox/faults on any sandbox server.
 */
export const faultRuleSchema = z.object({
  service: z.enum(['azure-devops', 'databricks', 'mlflow', 'arm', 'token', 'graph', 'entra', '*']).default('*'),
  /** A route's operation name (e.g. `runs/get`, `builds.queue`, `containerGroups.createOrUpdate`) or '*'. */
  operation: z.string().min(1).default('*'),
  kind: z.enum(['latency', 'status', 'timeout', 'reset', 'malformed']),
  /** For `status`: the HTTP status to answer (429, 500, 503...). */
  status: z.number().int().min(400).max(599).optional(),
  /** For `status` 429/503: the Retry-After to send, in seconds; absent = no header. */
  retryAfterSeconds: z.number().min(0).optional(),
  /** For `latency`: added delay in real ms. */
  delayMs: z.number().int().min(0).max(120_000).optional(),
  /** Apply to the next N matching calls, then expire. */
  count: z.number().int().min(1).optional(),
  /** Or apply to this fraction of matching calls (0..1). */
  rate: z.number().min(0).max(1).optional(),
  /** Let the first N matching calls through untouched, then apply (e.g. fail a second PUT, not the first). */
  after: z.number().int().min(1).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultService = FaultRule['service'];

interface ActiveRule {
  id: number;
  rule: FaultRule;
  remaining: number | undefined;
  /** Matching calls still to let through (`after`). */
  passes: number;
}

export class FaultRegistry {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  static fromEnv(value: string | undefined): FaultRegistry {
    const reg = new FaultRegistry();
    if (value && value.trim() !== '') {
      const parsed = z.array(faultRuleSchema).safeParse(JSON.parse(value));
      if (!parsed.success) throw new Error(`SANDBOX_FAULTS is not a valid list of fault rules: ${parsed.error.message}`);
      for (const r of parsed.data) reg.add(r);
    }
    return reg;
  }

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ id, rule, remaining: rule.count, passes: rule.after ?? 0 });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { id: number; remaining?: number }> {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, ...(r.remaining !== undefined ? { remaining: r.remaining } : {}) }));
  }

  /** The faults that hit this call (at most one of each kind; latency combines with the others). */
  take(service: Exclude<FaultService, '*'>, operation: string): FaultRule[] {
    const hits: FaultRule[] = [];
    for (const r of this.rules) {
      if (r.rule.service !== '*' && r.rule.service !== service) continue;
      if (r.rule.operation !== '*' && r.rule.operation !== operation) continue;
      if (r.passes > 0) {
        r.passes -= 1;
        continue;
      }
      if (r.rule.rate !== undefined && this.random() >= r.rule.rate) continue;
      if (r.remaining !== undefined) r.remaining -= 1;
      hits.push(r.rule);
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return hits;
  }
}
