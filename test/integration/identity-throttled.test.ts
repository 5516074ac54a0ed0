import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { startArmSandbox, type ArmSandbox } from '../../sandbox/arm/arm.sandbox';
import { createAzureCredential } from '../../services/identity/credential';
import { credentialFailureIsTransient } from '../../services/identity/credential-failure';
import { SCOPES } from '../../services/http/auth';

// A file of its own: MSAL binds the managed-identity endpoint and header once per process.
describe('managed identity credential with a throttled or unavailable token endpoint', () => {
  let arm: ArmSandbox;
  const faults = new FaultRegistry();
  beforeAll(async () => {
    arm = await startArmSandbox({ clock: new SandboxClock(), faults });
  });
  afterAll(async () => arm.close());

  // A scope each: a token MSAL already holds would be served from its cache.
  it.each([
    [429, SCOPES.arm],
    [503, SCOPES.graph],
  ])('marks a failure still answered %i after MSAL\'s retries as transient (the run waits instead of failing), and a success afterwards works', async (status, scope) => {
    faults.add({ service: 'token', operation: '*', kind: 'status', status, count: 10 });
    const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: arm.identityHeader, maxRetries: 0 });
    const err = await credential.getToken(scope).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('CredentialUnavailableError');
    expect(credentialFailureIsTransient(err)).toBe(true);
    faults.clear();
    expect((await credential.getToken(scope))?.token).toBeTruthy();
  });
});
