import type { AccessToken, TokenCredential } from '@azure/identity';
import { SANDBOX_CLIENT_ID, TokenStore } from '../../sandbox/arm/token.sandbox';
import { SANDBOX_ADO_PAT, startAzureDevOpsSandbox, type AzureDevOpsSandbox } from '../../sandbox/azure-devops/azure-devops.sandbox';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { BOT_IDENTITY, RESOURCES } from '../../sandbox/common/sandbox-auth';
import { SANDBOX_DATABRICKS_TOKEN, startDatabricksSandbox, type DatabricksSandbox } from '../../sandbox/databricks/databricks.sandbox';
import { AzureDevOpsClient } from '../../services/azure-devops/azure-devops.client';
import { DatabricksClient } from '../../services/databricks/databricks.client';
import { bearerToken, entraToken } from '../../services/http/auth';
import { CredentialError, ServiceError } from '../../services/http/errors';
import { HttpPipeline } from '../../services/http/http-pipeline';

/** Every stand-in refuses what its service refuses: no credential, a wrong one, a token for another audience. */
const ISAIAH_PAT = 'isaiah-reader-pat-not-an-approver';
const ISAIAH = { id: '4c8a1f11-2a55-4b8e-9d52-0f1e2d3c4b5a', displayName: 'Isaiah Langer', uniqueName: 'isaiah@contoso.com' };
const basic = (pat: string): string => `Basic ${Buffer.from(`:${pat}`).toString('base64')}`;

let tokens: TokenStore;
let dbx: DatabricksSandbox;
let ado: AzureDevOpsSandbox;
beforeAll(async () => {
  tokens = new TokenStore();
  const clock = new SandboxClock(1000);
  dbx = await startDatabricksSandbox({ clock, faults: new FaultRegistry(), auth: { tokens } });
  ado = await startAzureDevOpsSandbox({ clock, faults: new FaultRegistry(), auth: { tokens, pats: new Map([[SANDBOX_ADO_PAT, BOT_IDENTITY], [ISAIAH_PAT, ISAIAH]]) } });
});
afterAll(async () => {
  await dbx.close();
  await ado.close();
});

const entra = (resource: string, lifetimeMs = 3_600_000): string => tokens.issue(resource, SANDBOX_CLIENT_ID, lifetimeMs).token;

describe('Databricks and MLflow authentication (one check in front of every route)', () => {
  const call = async (path: string, authorization?: string): Promise<{ status: number; body: unknown; reason: string | null }> => {
    const res = await fetch(`${dbx.url}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: res.status, body: await res.json(), reason: res.headers.get('x-databricks-reason-phrase') };
  };
  const routes = ['/api/2.0/clusters/spark-versions', '/api/2.2/jobs/runs/list', "/api/2.0/mlflow/model-versions/search?filter=name%3D'fashion-cnn'"];

  it.each(routes)('%s: no credential or an unsupported kind → 401, as the workspace answers', async (path) => {
    const missing = { status: 401, body: { error_code: 401, message: 'Credential was not sent or was of an unsupported type for this API.' }, reason: null };
    expect(await call(path)).toEqual(missing);
    expect(await call(path, basic(SANDBOX_DATABRICKS_TOKEN))).toEqual(missing);
    expect(await call(path, 'Bearer')).toEqual(missing);
  });

  it.each(routes)('%s: an unknown PAT, an expired token or a token for another audience → 403 Invalid access token', async (path) => {
    const invalid = { status: 403, body: { error_code: 403, message: 'Invalid access token.' }, reason: 'Invalid access token.' };
    expect(await call(path, 'Bearer dapi-revoked-token')).toEqual(invalid);
    expect(await call(path, `Bearer ${entra(RESOURCES.azureDevOps)}`)).toEqual(invalid);
    expect(await call(path, `Bearer ${entra('https://management.azure.com')}`)).toEqual(invalid);
    expect(await call(path, `Bearer ${entra(RESOURCES.azureDatabricks, -1)}`)).toEqual(invalid);
  });

  it.each(routes)('%s: the configured PAT or an Entra token for the Azure Databricks resource → 200', async (path) => {
    expect((await call(path, `Bearer ${SANDBOX_DATABRICKS_TOKEN}`)).status).toBe(200);
    expect((await call(path, `Bearer ${entra(RESOURCES.azureDatabricks)}`)).status).toBe(200);
  });

  it('gives the client a typed, non-retried error for a lost token, naming the service and the refusal', async () => {
    const before = dbx.server.calls.get('clusters/spark-versions') ?? 0;
    const client = new DatabricksClient({ host: dbx.url, token: 'dapi-revoked-token', retry: { maxRetries: 3, baseDelayInMs: 1, maxDelayInMs: 2 } });
    const err = (await client.listSparkVersions().catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'databricks', status: 403, code: '403', message: 'Invalid access token.', retryable: false });
    expect(err.message).not.toContain('dapi-revoked-token');
    expect((dbx.server.calls.get('clusters/spark-versions') ?? 0) - before).toBe(1);
    const mlflow = new HttpPipeline({ service: 'mlflow', baseUrl: dbx.url, auth: bearerToken('dapi-revoked-token'), retry: { maxRetries: 3 } });
    await expect(mlflow.send('model-versions/search', { method: 'GET', path: '/api/2.0/mlflow/model-versions/search' })).rejects.toMatchObject({ service: 'mlflow', status: 403, retryable: false });
  });

  it('works end to end with an Entra token from a credential, and a credential that gives none is a CredentialError, not a network error', async () => {
    const good: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: entra(RESOURCES.azureDatabricks), expiresOnTimestamp: Date.now() + 3_600_000 }) };
    expect((await new DatabricksClient({ host: dbx.url, credential: good }).listSparkVersions()).length).toBeGreaterThan(0);
    const none: TokenCredential = { getToken: async () => null };
    const pipeline = new HttpPipeline({ service: 'databricks', baseUrl: dbx.url, auth: entraToken(none, '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default'), retry: { maxRetries: 3, baseDelayInMs: 1, maxDelayInMs: 2 } });
    const before = dbx.server.calls.get('clusters/spark-versions') ?? 0;
    const err = (await pipeline.send('clusters/spark-versions', { method: 'GET', path: '/api/2.0/clusters/spark-versions' }).catch((e: unknown) => e)) as CredentialError;
    expect(err).toBeInstanceOf(CredentialError);
    expect(err).toMatchObject({ service: 'databricks', code: 'CredentialUnavailable', retryable: false, message: 'no credential for databricks: no Entra token for scope 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default' });
    expect((dbx.server.calls.get('clusters/spark-versions') ?? 0) - before).toBe(0);
  });
});

describe('Azure DevOps authentication and who may decide an environment approval', () => {
  const get = async (authorization: string | undefined, apiVersion = '7.1'): Promise<{ status: number; body: { typeKey?: string; message?: string } }> => {
    const res = await fetch(`${ado.url}/contoso/MLOps/_apis/pipelines/1/runs?api-version=${apiVersion}`, { headers: authorization ? { authorization } : {} });
    return { status: res.status, body: (await res.json()) as { typeKey?: string; message?: string } };
  };

  it('takes the configured PAT (Basic, any user name, or Bearer) or an Entra token for Azure DevOps', async () => {
    expect((await get(basic(SANDBOX_ADO_PAT))).status).toBe(200);
    expect((await get(`Basic ${Buffer.from(`anyone:${SANDBOX_ADO_PAT}`).toString('base64')}`)).status).toBe(200);
    expect((await get(`Bearer ${entra(RESOURCES.azureDevOps)}`)).status).toBe(200);
  });

  it('answers 401 TF400813 to no credential, a wrong PAT, a token for another audience or an expired one', async () => {
    expect(await get(undefined)).toMatchObject({ status: 401, body: { typeKey: 'UnauthorizedRequestException', message: 'TF400813: Resource not available for anonymous access. Client authentication required.' } });
    for (const auth of [basic('wrong-pat'), `Bearer ${entra(RESOURCES.azureDatabricks)}`, `Bearer ${entra(RESOURCES.azureDevOps, -1)}`, 'Digest abc']) {
      expect((await get(auth)).status).toBe(401);
    }
  });

  it('asks for the same credential on the discovery calls node-api makes first', async () => {
    const options = await fetch(`${ado.url}/contoso/_apis/build`, { method: 'OPTIONS' });
    expect(options.status).toBe(401);
    const areas = await fetch(`${ado.url}/contoso/_apis/ResourceAreas`, { headers: { authorization: basic('wrong-pat') } });
    expect(areas.status).toBe(401);
    expect((await fetch(`${ado.url}/contoso/_apis/ResourceAreas`, { headers: { authorization: basic(SANDBOX_ADO_PAT) } })).status).toBe(200);
  });

  it('gives the client a typed error for a lost PAT', async () => {
    const client = new AzureDevOpsClient({ orgUrl: `${ado.url}/contoso`, project: 'MLOps', auth: { pat: 'revoked-pat' }, retry: { maxRetries: 2, baseDelayInMs: 1, maxDelayInMs: 2 } });
    const err = (await client.runPipeline(1).catch((e: unknown) => e)) as ServiceError;
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'azure-devops', status: 401, code: 'UnauthorizedRequestException', retryable: false });
  });

  it('checks api-version as the service does: format, range, and -preview on the unreleased 7.2', async () => {
    const auth = basic(SANDBOX_ADO_PAT);
    expect(await get(auth, 'banana')).toMatchObject({ status: 400, body: { typeKey: 'VssInvalidApiResourceVersionException' } });
    expect(await get(auth, '9.0')).toMatchObject({ status: 400, body: { typeKey: 'VssVersionOutOfRangeException', message: 'The requested REST API version of 9.0 is out of range for this server. The latest REST API version this server supports is 7.2.' } });
    expect(await get(auth, '7.2')).toMatchObject({ status: 400, body: { typeKey: 'VssInvalidPreviewVersionException' } });
    expect((await get(auth, '7.2-preview.1')).status).toBe(200);
    expect((await get(auth, '6.0-preview')).status).toBe(200);
    const noVersion = await fetch(`${ado.url}/contoso/MLOps/_apis/pipelines/1/runs`, { headers: { authorization: auth } });
    expect(noVersion.status).toBe(400);
    expect(((await noVersion.json()) as { typeKey?: string }).typeKey).toBe('VssVersionNotSpecifiedException');
  });

  it('lets only an identity on the approver list decide an approval; anyone else gets 403 and changes nothing', async () => {
    const bot = new AzureDevOpsClient({ orgUrl: `${ado.url}/contoso`, project: 'MLOps', auth: { pat: SANDBOX_ADO_PAT } });
    const reader = new AzureDevOpsClient({ orgUrl: `${ado.url}/contoso`, project: 'MLOps', auth: { pat: ISAIAH_PAT }, retry: { maxRetries: 0 } });
    const run = await bot.runPipeline(2, { branch: 'main' });
    let pending: Awaited<ReturnType<AzureDevOpsClient['listPendingApprovals']>> = [];
    for (const deadline = Date.now() + 20_000; pending.length === 0; ) {
      if (Date.now() > deadline) throw new Error('the CD run never reached its approval');
      ado.state.clock.advance(60_000);
      pending = await bot.listPendingApprovals(run.id);
    }
    const approvalId = pending[0]!.id;
    const refused = (await reader.approve(approvalId, 'let me').catch((e: unknown) => e)) as ServiceError;
    expect(refused).toMatchObject({ status: 403, code: 'ApprovalUnauthorizedException', retryable: false });
    expect(refused.message).toContain('Isaiah Langer is not an approver');
    expect((await bot.getApproval(approvalId)).status).toBe('pending');
    const viaEntra = new AzureDevOpsClient({ orgUrl: `${ado.url}/contoso`, project: 'MLOps', auth: { credential: { getToken: async () => ({ token: entra(RESOURCES.azureDevOps), expiresOnTimestamp: Date.now() + 3_600_000 }) } } });
    const approved = await viaEntra.approve(approvalId, 'ship it');
    expect(approved.status).toBe('approved');
    const raw = (await (await fetch(`${ado.url}/contoso/MLOps/_apis/pipelines/approvals/${approvalId}?api-version=7.1-preview.1&$expand=steps`, { headers: { authorization: basic(SANDBOX_ADO_PAT) } })).json()) as { steps: Array<{ actualApprover?: { id: string } }> };
    expect(raw.steps[0]?.actualApprover?.id).toBe(SANDBOX_CLIENT_ID);
  });
});
