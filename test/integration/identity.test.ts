import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { startArmSandbox, type ArmSandbox } from '../../sandbox/arm/arm.sandbox';
import { createAzureCredential } from '../../services/identity/credential';
import { SCOPES } from '../../services/http/auth';

describe('managed identity credential against the sandbox token endpoint', () => {
  let arm: ArmSandbox;
  beforeAll(async () => {
    arm = await startArmSandbox({ clock: new SandboxClock(), faults: new FaultRegistry(), identityHeader: 'sandbox-identity-header-1' });
  });
  afterAll(async () => arm.close());

  it('gets an ARM token with the real ManagedIdentityCredential and reuses it from the cache', async () => {
    const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: arm.identityHeader, maxRetries: 0 });
    expect(credential.inner.constructor.name).toBe('ManagedIdentityCredential');
    const token = await credential.getToken(SCOPES.arm);
    expect(token?.token.split('.')).toHaveLength(3);
    expect(token?.expiresOnTimestamp).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(arm.tokens.validate(token?.token ?? '', 'https://management.azure.com')).toBeDefined();
    const again = await credential.getToken(SCOPES.arm);
    expect(again?.token).toBe(token?.token);
    expect(arm.tokenServer.calls.get('token.get')).toBe(1);
  });

  it('answers the App Service protocol on the wire: epoch-seconds expires_on as a string', async () => {
    const url = `${arm.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com')}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': arm.identityHeader } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    expect(body.expires_on).toMatch(/^\d{10}$/);
    expect(body.resource).toBe('https://management.azure.com');
    expect(body.token_type).toBe('Bearer');
  });

  it('refuses to point the process at a second, different managed identity endpoint', () => {
    expect(() => createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: 'http://127.0.0.1:1/msi/token', header: 'x' })).toThrow(/already in use/);
  });
});
