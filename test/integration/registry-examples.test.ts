import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '../../services/registry/registry.client';
import { closeServer, listenOnLoopback } from '../support/loopback-server';

/**
 * Replays the recorded registry answers of test/fixtures/protocols/model-registry (copied from
 * ../shared/protocols/examples/model-registry) against the client: not the sandbox, the real bodies.
 */
const EXAMPLES = join(__dirname, '..', 'fixtures', 'protocols', 'model-registry');
const example = (file: string): unknown => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8'));

type Reply = { status: number; body: unknown };
interface Seen { method: string; url: string; body: string }

describe('registry clients replaying recorded registry answers', () => {
  let server: Server;
  let client: RegistryClient;
  let replies: Reply[] = [];
  let seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        const r = replies.shift() ?? { status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'no reply queued' } };
        // Not chained: restify, loaded by other tests in this worker, patches writeHead to return undefined.
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
      });
    });
    client = new RegistryClient({ trackingUri: await listenOnLoopback(server), token: 'dapi-x', retry: { maxRetries: 0 } });
  });
  afterAll(async () => closeServer(server));
  beforeEach(() => {
    replies = [];
    seen = [];
  });

  it('OSS MLflow: the recorded 400 INVALID_PARAMETER_VALUE for an unset alias means "nothing deployed yet"', async () => {
    replies.push({ status: 400, body: example('oss-get-by-alias-unset-400.json') });
    await expect(client.models('mlflow').getDeployed('churn', 'champion')).resolves.toBeUndefined();
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion' });
  });

  it('OSS MLflow: a missing model (recorded 404) and a missing version stay errors', async () => {
    replies.push({ status: 404, body: example('oss-registered-model-not-found-404.json') });
    await expect(client.models('mlflow').getDeployed('churn', 'champion')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=churn not found' });
    replies.push({ status: 404, body: example('oss-model-version-not-found-404.json') });
    await expect(client.models('mlflow').getVersion('churn', '7')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('Unity Catalog: 404 on the alias, then the model itself decides: present → unset alias, missing → the recorded error', async () => {
    replies.push({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'alias not found' } }, { status: 200, body: { full_name: 'main.ml.churn' } });
    await expect(client.models('unity-catalog').getDeployed('main.ml.churn', 'production')).resolves.toBeUndefined();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/2.1/unity-catalog/models/main.ml.churn/aliases/production', 'GET /api/2.1/unity-catalog/models/main.ml.churn']);

    const missing = example('uc-model-not-found-404.json');
    replies.push({ status: 404, body: missing }, { status: 404, body: missing });
    await expect(client.models('unity-catalog').getDeployed('mycatalog.dbdemos_iot_turbine.dbdemos_turbine_maintenance', 'production')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining('does not exist') as string });
  });

  it('Unity Catalog: promoting PUTs an integer version_num and accepts the documented answer; 403 is reported, not hidden', async () => {
    replies.push({ status: 200, body: example('uc-set-alias-response.json') });
    await client.models('unity-catalog').promote('main.ml.churn', '3', 'production');
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/2.1/unity-catalog/models/main.ml.churn/aliases/production' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ version_num: 3 });

    replies.push({ status: 403, body: example('uc-permission-denied-403.json') });
    await expect(client.models('unity-catalog').getDeployed('main.ml.churn', 'production')).rejects.toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
  });

  it('Workspace registry: reads the Production stage with get-latest-versions and a missing model is the recorded 404', async () => {
    replies.push({ status: 200, body: { model_versions: [{ name: 'churn', version: '7', current_stage: 'Production', status: 'READY' }] } });
    await expect(client.models('workspace').getDeployed('churn', 'production')).resolves.toMatchObject({ version: '7' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/2.0/mlflow/registered-models/get-latest-versions' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'churn', stages: ['Production'] });

    replies.push({ status: 200, body: {} }); // empty repeated fields are omitted: nothing in Production
    await expect(client.models('workspace').getDeployed('churn', 'production')).resolves.toBeUndefined();

    replies.push({ status: 404, body: example('workspace-registry-model-not-found.json') });
    await expect(client.models('workspace').getDeployed('dbdemos_customer_churn', 'production')).rejects.toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('Workspace registry: promotion is a stage transition that archives the previous Production version, never an alias', async () => {
    replies.push({ status: 200, body: { model_version: { name: 'churn', version: '8', current_stage: 'Production' } } });
    await client.models('workspace').promote('churn', '8', 'production');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/2.0/mlflow/model-versions/transition-stage' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'churn', version: '8', stage: 'Production', archive_existing_versions: true });
    expect(seen.some((s) => s.url.includes('/alias'))).toBe(false);
  });
});
