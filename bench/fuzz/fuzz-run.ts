import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzCases, type CaseContext, type FuzzRequest, type FuzzRoute } from './fuzz-cases';
import { repoRoot, type FuzzTarget } from './fuzz-target';

/** What a fuzz run saw: counts per route and status, and every case that broke a rule. */
export interface FuzzReport {
  seed: number;
  cases: number;
  byRoute: Record<string, Record<string, number>>;
  /** Answers of 500 or more. */
  serverErrors: Array<{ route: FuzzRoute; status: number; request: string; answer: string }>;
  /** Requests the server never answered (a reset, a dropped socket). */
  dropped: Array<{ route: FuzzRoute; request: string; error: string }>;
  /** A stack, a module path or a secret in an answer or a message posted to Teams. */
  leaks: Array<{ where: string; what: string; text: string }>;
  /** Error-level log lines while fuzzing (a turn that failed behind a 200 answer). */
  errorLines: string[];
  /** The guarded run changed (version before → after). */
  guardedChanged: string | undefined;
  healthy: boolean;
  ms: number;
}

const STACK = /\bat [\w.<>$]+ \(?[^\s()]+:\d+:\d+\)?|node_modules/;
const URLS: Record<FuzzRequest['route'], string> = { messages: '/api/messages', 'webhook-azure-devops': '/api/webhooks/azure-devops', 'webhook-databricks': '/api/webhooks/databricks' };

function exampleWebhooks(): CaseContext['webhookExamples'] {
  const dir = join(repoRoot(), 'test/fixtures/protocols');
  const read = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
  return [
    ...['servicehook-build.complete.json', 'servicehook-ms.vss-pipelinechecks-events.approval-pending.json', 'servicehook-ms.vss-pipelines.run-state-changed-event.json', 'servicehook-ms.vss-pipelines.stage-state-changed-event.json'].map((f) => ({ route: 'webhook-azure-devops' as const, body: read(`azure-devops/${f}`) })),
    ...['webhook-jobs.on_failure-job-run.json', 'webhook-jobs.on_start-job-run.json', 'webhook-jobs.on_success-task-run.json'].map((f) => ({ route: 'webhook-databricks' as const, body: read(`databricks/${f}`) })),
  ];
}

const show = (r: FuzzRequest): string => `${r.route} ${JSON.stringify(r.headers)} ${typeof r.body === 'string' ? r.body.slice(0, 2000) : `<${r.body.length} bytes>`}`;

function findLeak(text: string, secrets: readonly string[]): string | undefined {
  if (STACK.test(text) || text.includes(repoRoot())) return 'stack or path';
  return secrets.find((s) => s.length >= 6 && text.includes(s)) ? 'secret' : undefined;
}

/** Sends `casesPerRoute` seeded cases to each route, a few at a time, and checks every rule after each. */
export async function runFuzz(target: FuzzTarget, o: { seed: number; casesPerRoute: number; concurrency?: number; routes?: FuzzRoute[] }): Promise<FuzzReport> {
  const started = performance.now();
  const ctx: CaseContext = { serviceUrl: target.serviceUrl, webhookSecret: target.webhookSecret, guardedRunId: target.guarded.id, webhookExamples: exampleWebhooks() };
  const arbitraries = fuzzCases(ctx);
  const report: FuzzReport = { seed: o.seed, cases: 0, byRoute: {}, serverErrors: [], dropped: [], leaks: [], errorLines: [], guardedChanged: undefined, healthy: true, ms: 0 };
  const routes = o.routes ?? (Object.keys(arbitraries) as FuzzRoute[]);
  for (const [i, route] of routes.entries()) {
    const requests = fc.sample(arbitraries[route], { seed: o.seed + i, numRuns: o.casesPerRoute });
    const counts: Record<string, number> = (report.byRoute[route] = {});
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const r = requests[next++]!;
        report.cases++;
        try {
          const payload: BodyInit = typeof r.body === 'string' ? r.body : (r.body.slice().buffer);
          const res = await fetch(`${target.botUrl}${URLS[r.route]}`, { method: 'POST', headers: r.headers, body: payload, signal: AbortSignal.timeout(20_000) });
          const answer = await res.text();
          counts[res.status] = (counts[res.status] ?? 0) + 1;
          if (res.status >= 500) report.serverErrors.push({ route, status: res.status, request: show(r), answer: answer.slice(0, 300) });
          const leak = findLeak(answer, target.secrets);
          if (leak) report.leaks.push({ where: `answer to ${route}`, what: leak, text: answer.slice(0, 300) });
        } catch (e) {
          counts.dropped = (counts.dropped ?? 0) + 1;
          const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
          report.dropped.push({ route, request: show(r), error: e instanceof Error ? `${e.message}${cause}` : String(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker));
    report.healthy &&= (await fetch(`${target.botUrl}/healthz`)).status === 200;
  }
  // Turns finish in the background (replies, updates): let them land before reading what was posted.
  await target.bot.dispatcher.nudge();
  for (const body of target.posted) {
    const leak = findLeak(body, target.secrets);
    if (leak) report.leaks.push({ where: 'message posted to Teams', what: leak, text: body.slice(0, 300) });
  }
  const after = await target.bot.store.runs.getRun(target.guarded.id);
  if (!after || after.version !== target.guarded.version || after.status !== target.guarded.status) report.guardedChanged = `version ${target.guarded.version} → ${after?.version}, status ${after?.status}`;
  report.errorLines = [...target.errors];
  report.ms = Math.round(performance.now() - started);
  return report;
}

export function formatReport(r: FuzzReport): string {
  const lines = [`fuzz seed ${r.seed}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s`];
  for (const [route, counts] of Object.entries(r.byRoute)) lines.push(`  ${route.padEnd(9)} ${Object.entries(counts).map(([s, n]) => `${s}×${n}`).join('  ')}`);
  lines.push(`  5xx: ${r.serverErrors.length}  dropped: ${r.dropped.length}  leaks: ${r.leaks.length}  error log lines: ${r.errorLines.length}  guarded run changed: ${r.guardedChanged ?? 'no'}  healthy: ${r.healthy}`);
  for (const e of [...r.serverErrors.slice(0, 5), ...r.dropped.slice(0, 5), ...r.leaks.slice(0, 5), ...r.errorLines.slice(0, 3)]) lines.push(`  ! ${JSON.stringify(e).slice(0, 1500)}`);
  return lines.join('\n');
}
