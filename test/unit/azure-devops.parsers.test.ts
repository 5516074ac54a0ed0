import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapApproval, mapBuild, mapRun, mapTimeline } from '../../services/azure-devops/azure-devops.mappers';
import { parseServiceHookEvent, ServiceHookParseError } from '../../services/azure-devops/service-hook.parser';
import { classifyAzureDevOpsError } from '../../services/azure-devops/azure-devops.errors';

/** The real examples (test/fixtures/protocols/azure-devops, see SOURCES.md) through our mappers and parsers. */
const dir = join(__dirname, '../fixtures/protocols/azure-devops');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
const response = (name: string): unknown => (fixture(name) as { responses: { '200': { body: unknown } } }).responses['200'].body;

describe('service-hook parser on the documented payloads', () => {
  it('parses run-state-changed into a completed, succeeded run of its pipeline', () => {
    const e = parseServiceHookEvent(fixture('servicehook-ms.vss-pipelines.run-state-changed-event.json'));
    expect(e?.kind).toBe('runStateChanged');
    if (e?.kind !== 'runStateChanged') return;
    expect(e.eventId).toBe('62e4351f-1c24-40f9-8510-7af03692ab45');
    expect(e.createdAt?.toISOString()).toBe('2019-12-13T04:46:13.683Z');
    expect(e.run).toMatchObject({ id: 11, name: '11', pipelineId: 11, pipelineName: 'TEST-CI', state: 'completed', result: 'succeeded' });
    expect(e.run.webUrl).toContain('_build/results?buildId=11');
  });

  it('parses stage-state-changed with the stage name, state and result', () => {
    const e = parseServiceHookEvent(fixture('servicehook-ms.vss-pipelines.stage-state-changed-event.json'));
    if (e?.kind !== 'stageStateChanged') throw new Error(`unexpected ${e?.kind}`);
    expect(e.stage).toEqual({ name: '__default', displayName: undefined, state: 'completed', result: 'succeeded' });
    expect(e.run).toMatchObject({ id: 2, pipelineId: 2, state: 'completed', result: 'succeeded' });
  });

  it('parses approval-pending even though the documented sample has run, pipeline and stage null', () => {
    const e = parseServiceHookEvent(fixture('servicehook-ms.vss-pipelinechecks-events.approval-pending.json'));
    if (e?.kind !== 'approvalPending') throw new Error(`unexpected ${e?.kind}`);
    expect(e.approval).toMatchObject({ id: '0f027b05-0942-4a35-9218-26fa07d8760a', status: 'pending', minRequiredApprovers: 2, instructions: 'Instructions' });
    expect(e.approval.steps[0]).toMatchObject({ status: 'pending', assignedApprover: { id: '743f73b7-cdeb-4de7-80b7-00cee17476b8' } });
    expect(e.runId).toBeUndefined();
    expect(e.pipelineId).toBeUndefined();
  });

  it('parses the legacy build.complete sample (outcome in status) as a completed, succeeded build', () => {
    const e = parseServiceHookEvent(fixture('servicehook-build.complete.json'));
    if (e?.kind !== 'buildCompleted') throw new Error(`unexpected ${e?.kind}`);
    expect(e.build).toMatchObject({ id: 2, name: 'ConsumerAddressModule_20150407.1', pipelineId: 2, state: 'completed', result: 'succeeded' });
  });

  it('ignores an event type it does not handle', () => {
    expect(parseServiceHookEvent({ id: 'x', eventType: 'git.push', resource: {} })).toBeUndefined();
  });

  it('rejects a body that is not a service-hook event, naming the field', () => {
    expect(() => parseServiceHookEvent('hello')).toThrow(ServiceHookParseError);
    expect(() => parseServiceHookEvent({ id: 'not-a-uuid', eventType: 42, message: 'Build succeeded' })).toThrow(/body\.eventType/);
    expect(() => parseServiceHookEvent({ id: 'a', eventType: 'ms.vss-pipelines.run-state-changed-event', resource: { pipeline: {} } })).toThrow(/resource\.run/);
  });
});

describe('REST mappers on the spec examples', () => {
  it('maps a queued build (notStarted) and a completed one', () => {
    expect(mapBuild(response('build-5.0-POST__build_builds.json'))).toMatchObject({ id: 393, name: '20150716.4', state: 'notStarted', result: undefined, pipelineId: 25, sourceBranch: 'refs/heads/master' });
    const done = mapBuild(response('build-5.0-GET__build_builds__knownBuildId_.json'));
    expect(done).toMatchObject({ id: 391, state: 'completed', result: 'succeeded' });
    expect(done.finishedAt?.toISOString()).toBe('2015-07-16T19:54:41.784Z');
    const list = response('build-5.0-GET__build_builds_definitions-_definitionId__statusFilter-completed__top-1.json') as { value: unknown[] };
    expect(list.value.map(mapBuild)[0]?.state).toBe('completed');
  });

  it('maps node-api numeric enums the same as wire names', () => {
    expect(mapBuild({ id: 5, status: 4 }).state).toBe('canceling');
    expect(mapBuild({ id: 5, status: 2, result: 8 })).toMatchObject({ state: 'completed', result: 'failed' });
    expect(mapRun({ id: 7, state: 4, result: 4, pipeline: { id: 2 } })).toMatchObject({ state: 'completed', result: 'canceled', pipelineId: 2 });
    expect(mapTimeline({ records: [{ id: 's', type: 'Stage', name: 'S', state: 1 }, { id: 'j', parentId: 's', type: 'Job', name: 'J', state: 2, result: 2 }] })[0]?.jobs[0]).toMatchObject({ state: 'completed', result: 'failed' });
  });

  it('maps the classic timeline example (Job and Task only) under one __default stage, tasks in order', () => {
    const [stage, ...rest] = mapTimeline(response('build-5.0-GET__build_builds__knownBuildId__timeline.json'));
    expect(rest).toEqual([]);
    expect(stage).toMatchObject({ identifier: '__default', state: 'completed', result: 'succeeded' });
    const tasks = stage?.jobs[0]?.tasks ?? [];
    expect(tasks.map((t) => t.name)).toEqual(['Get sources', 'Build solution **\\*.sln', 'Publish Artifact: drop']);
    expect(tasks[1]).toMatchObject({ logId: 2, warningCount: 1, issues: [{ type: 'warning', message: 'The MSBuild version parameter has been deprecated. Ignoring value: latest' }] });
  });

  it('maps the approvals examples (query, get, patch)', () => {
    const query = response('approvals-7.1-GET__QueryApproval.json') as { value: unknown[] };
    expect(query.value.map(mapApproval).map((a) => a.status)).toEqual(['pending', 'pending']);
    expect(mapApproval(response('approvals-7.1-GET__Approval.json'))).toMatchObject({ id: 'ee14f612-6838-43c0-b445-db238ef14153', status: 'pending', steps: [], runId: undefined });
    const patched = (response('approvals-7.1-PATCH__UpdateApproval.json') as { value: unknown[] }).value.map(mapApproval)[0];
    expect(patched).toMatchObject({ status: 'approved', steps: [{ status: 'approved', comment: 'Approving', actualApprover: { displayName: 'User Name' } }] });
  });

  it('classifies node-api errors: status, typeKey, request id and the Retry-After hint; network codes as retryable network errors', () => {
    const err = Object.assign(new Error('TF400733: blocked'), {
      statusCode: 429,
      result: { $id: '1', message: 'TF400733: The request has been canceled', typeKey: 'RequestBlockedException' },
      responseHeaders: { activityid: 'a-1', 'retry-after': '3' },
    });
    expect(classifyAzureDevOpsError(err)).toEqual({ status: 429, code: 'RequestBlockedException', message: 'TF400733: The request has been canceled', requestId: 'a-1', retryAfterMs: 3000 });
    expect(classifyAzureDevOpsError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ network: true, code: 'ECONNRESET' });
    expect(classifyAzureDevOpsError(Object.assign(new Error('Basic OjEyMzQ1Njc4OTA= rejected'), {}))).toEqual({ message: 'Basic [redacted] rejected' });
  });
});
