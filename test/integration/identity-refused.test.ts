import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { startArmSandbox, type ArmSandbox } from '../../sandbox/arm/arm.sandbox';
import { createAzureCredential } from '../../services/identity/credential';
import { SCOPES } from '../../services/http/auth';
import { credentialFailureIsTransient } from '../../services/identity/credential-failure';

// A file of its own: MSAL caches the managed-identity source (and header) per module registry.
describe('managed identity credential with a wrong identity header', () => {
  let arm: ArmSandbox;
  const faults = new FaultRegistry();
  beforeAll(async () => {
    arm = await startArmSandbox({ clock: new SandboxClock(), faults, identityHeader: 'the-right-header' });
  });
  afterAll(async () => arm.close());

  it('is refused by the token endpoint and surfaces as CredentialUnavailableError with the server message', async () => {
    const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: 'a-wrong-header', maxRetries: 0 });
    const err = (await credential.getToken(SCOPES.arm).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CredentialUnavailableError');
    expect(err.message).toContain('Invalid X-IDENTITY-HEADER header');
    expect(arm.tokens.size).toBe(0);
    // A refusal is not worth retrying: the run fails with it.
    expect(credentialFailureIsTransient(err)).toBe(false);
  });

  it('answers a wrong header with 401 and the App Service error body', async () => {
    const res = await fetch(`${arm.identityEndpoint}?api-version=2019-08-01&resource=https://management.azure.com`, { headers: { 'X-IDENTITY-HEADER': 'nope' } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ statusCode: 401, message: 'Invalid X-IDENTITY-HEADER header', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
  });

  it('answers a missing api-version with 400', async () => {
    const res = await fetch(`${arm.identityEndpoint}?resource=https://management.azure.com`, { headers: { 'X-IDENTITY-HEADER': arm.identityHeader } });
    expect(res.status).toBe(400);
  });
});
