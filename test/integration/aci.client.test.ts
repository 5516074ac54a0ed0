import { ServiceError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';
import { startAciHarness, scoringSpec, score, type AciHarness } from './aci-harness';
import { waitUntil } from '../support/wait';


/** One 28x28 image for the scoring contract: the given first pixels, the rest black. */
const img = (...first: number[]): number[] => [...first, ...Array.from({ length: 784 - first.length }, () => 0)];
describe('AciClient against the ARM sandbox (real managed-identity token, real HTTP)', () => {
  let h: AciHarness;
  const logLines: string[] = [];
  beforeAll(async () => {
    h = await startAciHarness({ pageSize: 2 });
  });
  afterAll(async () => h.close());
  afterEach(() => h.faults.clear());

  it('deploys a scoring image: Pending → Creating → Succeeded, and the scoring server answers POST /score', async () => {
    const client = h.client({ logger: createLogger('debug', {}, (l) => logLines.push(l)) });
    // The sandbox's clock stands still until the test has seen the operation polled while it was
    // still provisioning (on the moving clock a loaded machine could poll first after the end).
    h.clock.setSpeed(1e-9);
    const poller = await client.beginCreateOrUpdate(scoringSpec('fashion-v3'));
    const done = poller.pollUntilDone();
    await waitUntil('the operation polled twice while provisioning', () => (h.arm.server.calls.get('operations.get') ?? 0) >= 2, 30_000, 10);
    expect(poller.isDone()).toBe(false);
    h.clock.advance(60_000);
    h.clock.setSpeed(200);
    const state = await done;
    expect(poller.isDone()).toBe(true);
    expect(state.provisioningState).toBe('Succeeded');
    expect(state.status).toBe('Running');
    expect(state.ip).toBe('127.0.0.1');
    expect(state.fqdn).toBe('fashion-v3.eastus.azurecontainer.io');
    expect(state.scoringBaseUrl).toBe(`http://127.0.0.1:${state.ports[0]}`);

    const res = await score(state.scoringBaseUrl ?? '', [img(0.1, 0.2, 0.3), img(1, 0, 0)]);
    expect(res.status).toBe(200);
    const predictions = (res.body as { predictions: Array<{ probabilities: number[]; label: string }> }).predictions;
    expect(predictions).toHaveLength(2);
    for (const row of predictions) {
      expect(row.probabilities).toHaveLength(10);
      expect(row.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const health = await fetch(`${state.scoringBaseUrl ?? ''}/`);
    expect(health.status).toBe(200);
  });

  it('reports a group running only with the port its scoring server listens on, however the clock moves during a request', async () => {
    const client = h.client();
    h.clock.setSpeed(1e-9);
    await client.beginCreateOrUpdate(scoringSpec('fashion-race'));
    const g = h.arm.state.get('sub1', 'rg1', 'fashion-race')!;
    // Within the request, the clock passes the end of Creating right after the group was brought in
    // line with it (at ×400 a millisecond is 400 ms of sandbox time): the answer must be the phase
    // the refresh saw, not a later reading that reports the group running with no server yet.
    const refresh = h.arm.state.refresh.bind(h.arm.state);
    h.arm.state.refresh = async (group) => {
      const seen = await refresh(group);
      if (group === g && seen !== 'Succeeded') h.clock.advance(h.arm.state.readyAt(g) - h.clock.now() + 1);
      return seen;
    };
    try {
      h.clock.advance(h.arm.state.readyAt(g) - h.clock.now() - 1);
      const before = await client.get('fashion-race');
      expect(before.provisioningState).toBe('Creating');
      expect(before.scoringBaseUrl).toBeUndefined();
      const after = await client.get('fashion-race');
      expect(after.provisioningState).toBe('Succeeded');
      expect(after.ports[0]).not.toBe(5001);
      expect((await fetch(`${after.scoringBaseUrl ?? ''}/`)).status).toBe(200);
    } finally {
      h.arm.state.refresh = refresh;
      h.clock.setSpeed(200);
      await client.delete('fashion-race');
    }
  });

  it('refuses a PUT while the group is still creating (409 ContainerGroupTransitioning, retryable), accepts it once the group runs, and keeps answering the first operation', async () => {
    const client = h.client();
    h.clock.setSpeed(1e-9);
    try {
      const first = await client.beginCreateOrUpdate(scoringSpec('fashion-twice'));
      const firstOp = h.arm.state.get('sub1', 'rg1', 'fashion-twice')?.operationId;
      const err = (await client.beginCreateOrUpdate(scoringSpec('fashion-twice')).catch((e: unknown) => e)) as ServiceError;
      expect(err).toBeInstanceOf(ServiceError);
      expect(err).toMatchObject({ service: 'aci', status: 409, code: 'ContainerGroupTransitioning', retryable: true });
      expect(err.message).toBe("The container group 'fashion-twice' is still transitioning, please retry later.");
      // So is a DELETE (same source).
      await expect(client.delete('fashion-twice')).rejects.toMatchObject({ status: 409, code: 'ContainerGroupTransitioning', retryable: true });
      // The refused PUT changed nothing: the first operation goes on to Succeeded.
      expect(h.arm.state.get('sub1', 'rg1', 'fashion-twice')?.operationId).toBe(firstOp);
      h.clock.advance(60_000);
      expect((await first.pollUntilDone()).provisioningState).toBe('Succeeded');
      const second = await client.beginCreateOrUpdate(scoringSpec('fashion-twice'));
      expect(h.arm.state.get('sub1', 'rg1', 'fashion-twice')?.operationId).not.toBe(firstOp);
      // The replaced group's operation still answers with its end.
      const token = (await h.credential.getToken('https://management.azure.com/.default'))?.token ?? '';
      const raw = await fetch(`${h.arm.url}/subscriptions/sub1/providers/Microsoft.ContainerInstance/locations/eastus/operations/${firstOp ?? ''}?api-version=2018-06-01`, { headers: { authorization: `Bearer ${token}` } });
      expect(await raw.json()).toMatchObject({ status: 'Succeeded' });
      h.clock.advance(60_000);
      expect((await second.pollUntilDone()).provisioningState).toBe('Succeeded');
    } finally {
      h.clock.setSpeed(200);
      await client.delete('fashion-twice');
    }
  });

  it('never sends the secure environment values back, nor logs them', async () => {
    const g = h.arm.state.get('sub1', 'rg1', 'fashion-v3');
    expect(g).toBeDefined();
    const wire = JSON.stringify(h.arm.state.wire(g!, true, h.arm.state.phase(g!)));
    expect(wire).toContain('SCORING_API_KEY');
    expect(wire).not.toContain('sk-very-secret-value-123');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain('sk-very-secret-value-123');
  });

  it('reports the state, ports and per-container events of a running group', async () => {
    const state = await h.client().get('fashion-v3');
    expect(state.instanceState).toBe('Running');
    const c = state.containers[0];
    expect(c?.name).toBe('model');
    expect(c?.image).toBe('mlopsacr.azurecr.io/fashion-cnn:3');
    expect(c?.state).toBe('Running');
    expect(c?.startTime).toBeInstanceOf(Date);
    expect(c?.events.map((e) => e.name)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('reads the tail of the container log, with timestamps on request', async () => {
    const client = h.client();
    const state = await client.get('fashion-v3');
    await score(state.scoringBaseUrl ?? '', [img(1, 0.2, 0.3)]);
    const tail = await client.getLogs('fashion-v3', { tail: 2 });
    const lines = tail.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('POST /score 200');
    const stamped = await client.getLogs('fashion-v3', { tail: 1, timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z POST \/score 200\n$/);
  });

  it('restarts a running group: the scoring server comes back on the same address', async () => {
    const client = h.client();
    const before = await client.get('fashion-v3');
    await client.restart('fashion-v3');
    const after = await client.get('fashion-v3');
    expect(after.scoringBaseUrl).toBe(before.scoringBaseUrl);
    expect(after.containers[0]?.events.find((e) => e.name === 'Killing')?.count).toBe(1);
    expect((await score(after.scoringBaseUrl ?? '', [img(0, 1)])).status).toBe(200);
    expect(await client.getLogs('fashion-v3')).toContain('Shutting down: received SIGTERM');
  });

  it('lists the resource group across pages', async () => {
    const client = h.client();
    for (const name of ['list-a', 'list-b']) await (await client.beginCreateOrUpdate(scoringSpec(name))).pollUntilDone();
    const names: string[] = [];
    for await (const g of client.list()) names.push(g.name);
    expect(names.sort()).toEqual(['fashion-v3', 'list-a', 'list-b']);
    expect(h.arm.server.calls.get('containerGroups.listByResourceGroup')).toBe(2);
    for (const name of ['list-a', 'list-b']) await client.delete(name);
  });

  it('deletes a group: its scoring server stops and a later get is a 404 ServiceError with the request id', async () => {
    const client = h.client();
    const { scoringBaseUrl } = await client.get('fashion-v3');
    await client.delete('fashion-v3');
    await expect(fetch(`${scoringBaseUrl ?? ''}/`)).rejects.toThrow();
    const err = (await client.get('fashion-v3').catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.service).toBe('aci');
    expect(err.operation).toBe('containerGroups.get');
    expect(err.status).toBe(404);
    expect(err.code).toBe('ResourceNotFound');
    expect(err.message).toContain("Microsoft.ContainerInstance/containerGroups/fashion-v3' under resource group 'rg1' was not found");
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Deleting what is gone is not an error (ARM answers 204).
    await expect(client.delete('fashion-v3')).resolves.toBeUndefined();
  });

  it('a crashing image provisions, then its container terminates, restarts and logs a stack trace', async () => {
    const client = h.client();
    const state = await (await client.beginCreateOrUpdate(scoringSpec('crashy', { image: 'mlopsacr.azurecr.io/fashion-cnn:4-crash' }))).pollUntilDone();
    expect(state.provisioningState).toBe('Succeeded');
    h.clock.advance(25_000);
    const later = await client.get('crashy');
    expect(later.status).toBe('Crashing');
    expect(later.instanceState).toBe('Running');
    const c = later.containers[0];
    expect(c?.state).toBe('Terminated');
    expect(c?.exitCode).toBe(1);
    expect(c?.restartCount).toBeGreaterThanOrEqual(3);
    expect(c?.events.find((e) => e.name === 'BackOff')).toMatchObject({ type: 'Warning', message: 'Back-off restarting failed container' });
    const logs = await client.getLogs('crashy', { tail: 20 });
    expect(logs).toContain('Traceback (most recent call last):');
    expect(logs).toContain('MlflowException');
    await client.delete('crashy');
  });

  it('the crash mode can also be asked for with SANDBOX_CRASH=1', async () => {
    const client = h.client();
    await (await client.beginCreateOrUpdate(scoringSpec('crashy-env', { environment: { SANDBOX_CRASH: '1' } }))).pollUntilDone();
    expect((await client.get('crashy-env')).status).toBe('Crashing');
    await client.delete('crashy-env');
  });

  it('a provisioning failure fails the operation with the ARM code, and get shows Failed with the pull error', async () => {
    const client = h.client();
    const poller = await client.beginCreateOrUpdate(scoringSpec('broken', { image: 'mlopsacr.azurecr.io/fashion-cnn:5-provision-fail' }));
    const err = (await poller.pollUntilDone().catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('ResourceDeploymentFailure');
    expect(err.message).toContain("terminal provisioning state 'Failed'");
    const state = await client.get('broken');
    expect(state.status).toBe('Failed');
    expect(state.scoringBaseUrl).toBeUndefined();
    expect(state.containers[0]?.detailStatus).toBe('ErrImagePull');
    expect(state.events.map((e) => e.name)).toContain('Failed');
    await client.delete('broken');
  });

  it('an inaccessible image is refused at once with 400 InaccessibleImage', async () => {
    const err = (await h.client().beginCreateOrUpdate(scoringSpec('nope-image', { image: 'mlopsacr.azurecr.io/x:inaccessible' })).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('InaccessibleImage');
    expect(err.message).not.toContain('sk-very-secret-value-123');
  });

  it('scoring images can be made to fail the smoke test: a 500 from /score, or malformed predictions', async () => {
    const client = h.client();
    const bad = await (await client.beginCreateOrUpdate(scoringSpec('score-bad', { image: 'mlopsacr.azurecr.io/fashion-cnn:6-score-500' }))).pollUntilDone();
    expect(bad.status).toBe('Running');
    expect((await score(bad.scoringBaseUrl ?? '', [img(1, 0.2)])).status).toBe(500);
    const wrong = await (await client.beginCreateOrUpdate(scoringSpec('score-wrong', { environment: { SANDBOX_SCORE_MODE: 'wrong' } }))).pollUntilDone();
    const res = await score(wrong.scoringBaseUrl ?? '', [img(1, 0.2), img(0.3, 0.4)]);
    expect(res.status).toBe(200);
    const preds = (res.body as { predictions: number[][] }).predictions;
    expect(preds).toHaveLength(1);
    expect(preds[0]?.reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 3);
    await client.delete('score-bad');
    await client.delete('score-wrong');
  });

  it('two model versions of the same image serve different predictions (deterministically)', async () => {
    const client = h.client();
    const v3 = await (await client.beginCreateOrUpdate(scoringSpec('ver-a'))).pollUntilDone();
    const v4 = await (await client.beginCreateOrUpdate(scoringSpec('ver-b', { environment: { MODEL_VERSION: '4' } }))).pollUntilDone();
    const a1 = await score(v3.scoringBaseUrl ?? '', [img(0.5, 0.5)]);
    const a2 = await score(v3.scoringBaseUrl ?? '', [img(0.5, 0.5)]);
    const b = await score(v4.scoringBaseUrl ?? '', [img(0.5, 0.5)]);
    expect(a1.body).toEqual(a2.body);
    expect(b.body).not.toEqual(a1.body);
    await client.delete('ver-a');
    await client.delete('ver-b');
  });
});
