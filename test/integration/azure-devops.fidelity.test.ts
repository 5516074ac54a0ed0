import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from '../../sandbox/azure-devops/azure-devops.sandbox';
import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { parseServiceHookEvent } from '../../services/azure-devops/service-hook.parser';

/**
 * The sandbox's answers and webhook payloads have the fields, types and enum spellings of the
 * real examples (test/fixtures/protocols/azure-devops), and the payloads pass the service-hooks
 * event schema (test/fixtures/schemas/azure-devops).
 */
const fixtures = join(__dirname, '../fixtures/protocols/azure-devops');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as unknown;
const example = (name: string): unknown => (fixture(name) as { responses: { '200': { body: unknown } } }).responses['200'].body;

/** Fields the service only sends once a run/build completed. */
const COMPLETION_FIELDS = new Set(['result', 'finishedDate', 'finishTime']);
const isActive = (o: Record<string, unknown>): boolean => ('state' in o && o.state !== 'completed') || ('status' in o && o.status !== 'completed');

/** Paths where `actual` lacks a key of `expected` or has another JSON type (null in the example matches anything). */
function shapeDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === null) return [];
  const type = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (type(expected) !== type(actual)) return [`${path}: expected ${type(expected)}, got ${type(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return [];
    return shapeDiff(expected[0], actual[0], `${path}[0]`);
  }
  if (type(expected) === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    return Object.keys(e).flatMap((k) => (k in a ? shapeDiff(e[k], a[k], `${path}.${k}`) : COMPLETION_FIELDS.has(k) && isActive(a) ? [] : [`${path}.${k}: missing`]));
  }
  return [];
}

let clock: SandboxClock;
let sandbox: AzureDevOpsSandbox;
let receiver: Server;
const received: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
const auth = { authorization: `Basic ${Buffer.from(`:${SANDBOX_ADO_PAT}`).toString('base64')}` };

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      // Not chained: restify, loaded by other tests in this worker, patches writeHead to return undefined.
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  clock = new SandboxClock(1);
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/azure-devops`;
  sandbox = await startAzureDevOpsSandbox({ clock, faults: new FaultRegistry(), hookUrl, hookHeaders: { 'X-Webhook-Secret': 'shh' } });
});
afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

const get = async (path: string): Promise<{ status: number; body: unknown; headers: Headers }> => {
  const res = await fetch(`${sandbox.url}/contoso/MLOps/${path}`, { headers: { ...auth, accept: 'application/json;api-version=7.1' } });
  return { status: res.status, body: await res.json(), headers: res.headers };
};

describe('Azure DevOps sandbox fidelity', () => {
  it('answers builds, lists, timelines, logs, approvals and subscriptions with the fields and types of the real examples', async () => {
    const client = new AzureDevOpsClient({ orgUrl: `${sandbox.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT } });
    const run = await client.runPipeline(2);
    const ci = await client.runPipeline(1);
    clock.advance(10 * 60_000);
    const [approval] = await client.listPendingApprovals(run.id);
    // The examples are completed builds: compare with a completed one (an active build has no result/finishTime, as in the service).
    expect(shapeDiff(example('build-5.0-GET__build_builds__knownBuildId_.json'), (await get(`_apis/build/builds/${ci.id}`)).body)).toEqual([]);
    expect(shapeDiff(example('build-5.0-GET__build_builds_definitions-_definitionId__statusFilter-completed__top-1.json'), (await get('_apis/build/builds?definitions=1&statusFilter=completed&$top=1')).body)).toEqual([]);
    const timelineExample = example('build-5.0-GET__build_builds__knownBuildId__timeline.json') as { records: Array<Record<string, unknown>> };
    const timeline = (await get(`_apis/build/builds/${ci.id}/timeline`)).body as { records: Array<Record<string, unknown>> };
    expect(shapeDiff({ ...timelineExample, records: [] }, timeline)).toEqual([]);
    for (const type of ['Task', 'Job']) {
      // One example record per type, with a key null wherever any example record of that type has it null.
      const ofType = timelineExample.records.filter((r) => r.type === type);
      const merged = Object.fromEntries(Object.keys(ofType[0] ?? {}).map((k) => [k, ofType.some((r) => r[k] === null) ? null : ofType[0]?.[k]]));
      const ours = timeline.records.find((r) => r.type === type);
      expect({ type, diff: shapeDiff(merged, ours) }).toEqual({ type, diff: [] });
    }
    expect(shapeDiff(example('build-5.0-GET__build_builds__knownBuildId__logs.json'), (await get(`_apis/build/builds/${run.id}/logs`)).body)).toEqual([]);
    expect(shapeDiff(example('approvals-7.1-GET__Approval.json'), (await get(`_apis/pipelines/approvals/${approval?.id ?? ''}`)).body)).toEqual([]);
    expect(shapeDiff(example('approvals-7.1-GET__QueryApproval.json'), (await get(`_apis/pipelines/approvals?approvalIds=${approval?.id ?? ''}`)).body)).toEqual([]);
    const patched = await fetch(`${sandbox.url}/contoso/MLOps/_apis/pipelines/approvals?api-version=7.1-preview.1`, {
      method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify([{ approvalId: approval?.id, status: 'approved', comment: 'Approving' }]),
    });
    expect(shapeDiff(example('approvals-7.1-PATCH__UpdateApproval.json'), await patched.json())).toEqual([]);
    const subscribed = await fetch(`${sandbox.url}/contoso/_apis/hooks/subscriptions?api-version=7.1`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify((fixture('hooks-7.1-POST__hooks_subscriptions.json') as { parameters: { body: unknown } }).parameters.body),
    });
    expect(shapeDiff(example('hooks-7.1-POST__hooks_subscriptions.json'), await subscribed.json())).toEqual([]);
  });

  it('accepts enums as names or numbers and api-version from the query or the Accept header, and refuses a call without one', async () => {
    const client = new AzureDevOpsClient({ orgUrl: `${sandbox.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT } });
    const { id } = await client.runPipeline(1);
    const byNumber = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds?definitions=1&statusFilter=1&api-version=7.1`, { headers: auth });
    const byName = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds?definitions=1&statusFilter=inProgress`, { headers: { ...auth, accept: 'application/json;api-version=7.1' } });
    const ids = async (r: Response): Promise<number[]> => ((await r.json()) as { value: Array<{ id: number }> }).value.map((b) => b.id);
    expect(await ids(byNumber)).toContain(id);
    expect(await ids(byName)).toContain(id);
    const cancel = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds/${id}?api-version=7.1`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'Cancelling' }) });
    expect(((await cancel.json()) as { status: string }).status).toBe('cancelling');
    const none = await fetch(`${sandbox.url}/contoso/MLOps/_apis/build/builds/${id}`, { headers: auth });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { typeKey: string }).typeKey).toBe('VssVersionNotSpecifiedException');
  });

  it('delivers run, stage, approval and build.complete hooks with the documented shapes, the custom headers, and a schema-valid envelope', async () => {
    received.length = 0;
    const client = new AzureDevOpsClient({ orgUrl: `${sandbox.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT } });
    const run = await client.runPipeline(2);
    clock.advance(10 * 60_000);
    await sandbox.state.hooks.flush();
    const [approval] = await client.listPendingApprovals(run.id);
    await client.approve(approval?.id ?? '', 'ship it');
    clock.advance(10 * 60_000);
    await client.getRun(2, run.id);
    await sandbox.state.hooks.flush();

    const types = received.map((r) => r.body.eventType);
    expect(types).toEqual(expect.arrayContaining(['ms.vss-pipelines.run-state-changed-event', 'ms.vss-pipelines.stage-state-changed-event', 'ms.vss-pipelinechecks-events.approval-pending', 'build.complete']));
    expect(received.every((r) => r.headers['x-webhook-secret'] === 'shh')).toBe(true);

    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(join(__dirname, '../fixtures/schemas/azure-devops/service-hooks-event.schema.json'), 'utf8')) as object;
    const validate = ajv.compile(schema);
    for (const { body } of received) expect({ eventType: body.eventType, valid: validate(body), errors: validate.errors ?? null }).toEqual({ eventType: body.eventType, valid: true, errors: null });

    // The last of each type: the documented run sample is a completed run.
    const sample = (type: string): Record<string, unknown> | undefined => received.filter((r) => r.body.eventType === type).pop()?.body;
    for (const [type, file] of [
      ['ms.vss-pipelines.run-state-changed-event', 'servicehook-ms.vss-pipelines.run-state-changed-event.json'],
      ['ms.vss-pipelines.stage-state-changed-event', 'servicehook-ms.vss-pipelines.stage-state-changed-event.json'],
      ['ms.vss-pipelinechecks-events.approval-pending', 'servicehook-ms.vss-pipelinechecks-events.approval-pending.json'],
    ] as const) {
      expect({ type, diff: shapeDiff(fixture(file), sample(type)) }).toEqual({ type, diff: [] });
    }
    const pending = parseServiceHookEvent(sample('ms.vss-pipelinechecks-events.approval-pending'));
    expect(pending).toMatchObject({ kind: 'approvalPending', runId: run.id, pipelineId: 2, stageName: 'Deploy', approval: { id: approval?.id } });
    const completed = received.map((r) => parseServiceHookEvent(r.body)).filter((e) => e?.kind === 'runStateChanged').pop();
    expect(completed).toMatchObject({ run: { id: run.id, state: 'completed', result: 'succeeded' } });
    expect(parseServiceHookEvent(sample('build.complete'))).toMatchObject({ kind: 'buildCompleted', build: { id: run.id, result: 'succeeded' } });
  });
});
