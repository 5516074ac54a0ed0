import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { startArmSandbox, type ArmSandbox } from '../../sandbox/arm/arm.sandbox';
import { createAzureCredential } from '../../services/identity/credential';
import { credentialFailureIsTransient } from '../../services/identity/credential-failure';
import { TokenRequestTimeoutError } from '../../services/identity/bounded-credential';
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

  it('gives up on a token endpoint that never answers, as transient, and the next request is a fresh one that succeeds', async () => {
    // `timeout` accepts the request and never answers. MSAL sends it without a timeout or the abort
    // signal, so only the bound in createAzureCredential ends the wait.
    faults.add({ service: 'token', operation: '*', kind: 'timeout', count: 1 });
    const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: arm.identityHeader, maxRetries: 0, timeoutInMs: 300 });
    const t0 = Date.now();
    const err = await credential.getToken(SCOPES.databricks).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenRequestTimeoutError);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(credentialFailureIsTransient(err)).toBe(true);
    expect((await credential.getToken(SCOPES.databricks))?.token).toBeTruthy();
  });

  it('ends a token request when the caller aborts it', async () => {
    faults.add({ service: 'token', operation: '*', kind: 'timeout', count: 1 });
    const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: arm.identityHeader, maxRetries: 0 });
    const controller = new AbortController();
    const pending = credential.getToken(SCOPES.azureDevOps, { abortSignal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    setTimeout(() => controller.abort(), 100);
    expect((await pending as Error).name).toBe('AbortError');
    faults.clear();
  });
});
