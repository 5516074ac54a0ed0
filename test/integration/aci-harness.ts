import type { TokenCredential } from '@azure/identity';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { startArmSandbox, type ArmSandbox, type ArmSandboxOptions } from '../../sandbox/arm/arm.sandbox';
import { createAzureCredential } from '../../services/identity/credential';
import { AciClient, type AciClientOptions } from '../../services/aci/aci.client';
import type { ContainerGroupSpec } from '../../services/aci/aci.types';

/**
 * One ARM sandbox per test file: MSAL binds the managed-identity endpoint once per module
 * registry (jest gives each file its own), so a file cannot switch to a second sandbox.
 */
export interface AciHarness {
  clock: SandboxClock;
  faults: FaultRegistry;
  arm: ArmSandbox;
  credential: TokenCredential;
  client(overrides?: Partial<AciClientOptions>): AciClient;
  close(): Promise<void>;
}

export async function startAciHarness(options: Partial<ArmSandboxOptions> = {}): Promise<AciHarness> {
  // 20 simulated seconds of provisioning take 100 real ms.
  const clock = new SandboxClock(200);
  const faults = new FaultRegistry();
  const arm = await startArmSandbox({ clock, faults, ...options });
  const credential = createAzureCredential({ kind: 'managed-identity-endpoint', endpoint: arm.identityEndpoint, header: arm.identityHeader, maxRetries: 0 });
  return {
    clock,
    faults,
    arm,
    credential,
    client: (overrides = {}) =>
      new AciClient({
        credential,
        subscriptionId: 'sub1',
        resourceGroup: 'rg1',
        location: 'eastus',
        endpoint: arm.url,
        pollIntervalInMs: 10,
        timeoutInMs: 2000,
        retry: { maxRetries: 3, baseDelayInMs: 5, maxDelayInMs: 50 },
        addressPreference: 'ip',
        // The scoring images are in a private registry: ACI pulls them with this identity.
        registryPullIdentity: PULL_IDENTITY,
        ...overrides,
      }),
    close: () => arm.close(),
  };
}

export const PULL_IDENTITY = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/acr-pull';

export function scoringSpec(name: string, overrides: Partial<ContainerGroupSpec> = {}): ContainerGroupSpec {
  return {
    name,
    image: 'mlopsacr.azurecr.io/fashion-cnn:3',
    cpu: 1,
    memoryInGB: 1.5,
    port: 5001,
    environment: { MODEL_URI: 'models:/fashion-cnn/3', MODEL_VERSION: '3' },
    secureEnvironment: { SCORING_API_KEY: 'sk-very-secret-value-123' },
    dnsNameLabel: name,
    readinessProbe: { path: '/', periodSeconds: 5 },
    restartPolicy: 'Always',
    ...overrides,
  };
}

export async function score(baseUrl: string, inputs: number[][]): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
  return { status: res.status, body: await res.json() };
}
