import { startArmSandbox, type ArmSandbox } from '../../sandbox/arm/arm.sandbox';
import { SANDBOX_CLIENT_ID } from '../../sandbox/arm/token.sandbox';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { withPullIdentity } from '../../services/aci/aci.client';

/** The container-group PUT is refused as ACI refuses it, with ARM's error shape; a refused PUT creates nothing. */
const UAI = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/acr-pull';
type Json = Record<string, unknown>;

function body(over: { location?: string; props?: Json; container?: Json; identity?: Json } = {}): Json {
  return {
    location: over.location ?? 'westeurope',
    ...(over.identity ? { identity: over.identity } : {}),
    properties: {
      osType: 'Linux',
      restartPolicy: 'Always',
      containers: [{ name: 'scoring', properties: { image: 'nginx:1.27', ports: [{ port: 5001 }], resources: { requests: { cpu: 1, memoryInGB: 1.5 } }, ...(over.container ?? {}) } }],
      ipAddress: { type: 'Public', ports: [{ port: 5001, protocol: 'TCP' }], dnsNameLabel: 'scoring-label' },
      ...(over.props ?? {}),
    },
  };
}

let arm: ArmSandbox;
let token: string;
const clock = new SandboxClock(1000);
beforeAll(async () => {
  arm = await startArmSandbox({ clock, faults: new FaultRegistry() });
  token = arm.tokens.issue('https://management.azure.com', SANDBOX_CLIENT_ID, 3_600_000).token;
});
afterAll(async () => arm.close());

const path = (name: string, rg = 'rg1'): string => `/subscriptions/sub1/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
async function put(name: string, b: unknown, apiVersion = '2023-05-01', rg = 'rg1'): Promise<{ status: number; error?: { code: string; message: string } }> {
  const res = await fetch(`${arm.url}${path(name, rg)}?api-version=${apiVersion}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(b) });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, ...(json.error ? { error: json.error } : {}) };
}
async function exists(name: string): Promise<boolean> {
  const res = await fetch(`${arm.url}${path(name)}?api-version=2023-05-01`, { headers: { authorization: `Bearer ${token}` } });
  await res.text();
  return res.status === 200;
}
async function refused(name: string, b: unknown, code: string, message?: RegExp): Promise<void> {
  const r = await put(name, b);
  expect(r.status).toBe(400);
  expect(r.error?.code).toBe(code);
  if (message) expect(r.error?.message).toMatch(message);
  expect(await exists(name)).toBe(false);
}

describe('ARM api-version for Microsoft.ContainerInstance', () => {
  it('refuses an api-version the provider does not serve with NoRegisteredProviderFound, on reads and writes', async () => {
    const r = await put('group-a', body(), 'banana');
    expect(r).toMatchObject({ status: 400, error: { code: 'NoRegisteredProviderFound' } });
    expect(r.error?.message).toMatch(/^No registered resource provider found for location 'westeurope' and API version 'banana' for type 'containerGroups'\. The supported api-versions are '2017-08-01-preview, .*2023-05-01.*'\./);
    const get = await fetch(`${arm.url}${path('group-a')}?api-version=2099-01-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('NoRegisteredProviderFound');
    expect(await exists('group-a')).toBe(false);
  });

  it('accepts the version the SDK sends and answers 201 for a valid public image', async () => {
    expect((await put('group-ok', body({ props: { ipAddress: { type: 'Public', ports: [{ port: 5001 }], dnsNameLabel: 'group-ok-label' } } }))).status).toBe(201);
  });
});

describe('the container-group body', () => {
  it('CPU and memory: both required, both positive, memory in 0.1 GB steps, within the regional limit', async () => {
    await refused('res-none', body({ container: { resources: {} } }), 'ResourceRequestsNotSpecified');
    await refused('res-zero', body({ container: { resources: { requests: { cpu: 0, memoryInGB: -1 } } } }), 'InvalidContainerResourceRequests');
    await refused('res-step', body({ container: { resources: { requests: { cpu: 1000, memoryInGB: 0.01 } } } }), 'InvalidMemoryRequirement', /should be times of 0\.1 GB/);
    await refused('res-huge', body({ container: { resources: { requests: { cpu: 1000, memoryInGB: 1 } } } }), 'ResourceRequestsNotAvailable', /'1000' CPU and '1' GB memory is not available in the location 'westeurope'/);
    await refused('res-sum', body({ props: { containers: [0, 1].map((i) => ({ name: `c${i}`, properties: { image: 'nginx', ports: i === 0 ? [{ port: 5001 }] : [], resources: { requests: { cpu: 3, memoryInGB: 1 } } } })) } }), 'ResourceRequestsNotAvailable');
  });

  it('DNS name label: lowercase letters, digits and hyphens, 5 to 63, starting with a letter; unique per region', async () => {
    const label = (l: unknown): Json => ({ ipAddress: { type: 'Public', ports: [{ port: 5001 }], dnsNameLabel: l } });
    await refused('dns-bad', body({ props: label('UPPER_bad!.label') }), 'InvalidDnsNameLabel', /It can contain only lowercase letters, numbers and hyphens/);
    await refused('dns-short', body({ props: label('abcd') }), 'InvalidDnsNameLabel');
    await refused('dns-digit', body({ props: label('1abcde') }), 'InvalidDnsNameLabel');
    await refused('dns-hyphen', body({ props: label('abcde-') }), 'InvalidDnsNameLabel');
    expect((await put('dns-first', body({ props: label('shared-label') }))).status).toBe(201);
    await refused('dns-second', body({ props: label('shared-label') }), 'DnsNameLabelNotAvailable', /^The DNS name label 'shared-label' in container group 'dns-second' not available/);
    // Another region, or the same group again (an update, once its creation has ended), may use it.
    expect((await put('dns-other-region', body({ location: 'northeurope', props: label('shared-label') }))).status).toBe(201);
    clock.advance(60_000);
    expect((await put('dns-first', body({ props: label('shared-label') }))).status).toBe(200);
  });

  it('image reference: the Docker grammar, lowercase repository', async () => {
    for (const image of ['not a valid image ref!!', 'Mlops/Fashion', 'repo:', 'registry.io/x@sha256:abc']) {
      await refused('img-bad', body({ container: { image } }), 'InvalidImageName');
    }
    for (const image of ['nginx', 'library/nginx:1.27', 'mcr.microsoft.com/azuredocs/aci-helloworld:latest', `docker.io/library/nginx@sha256:${'a'.repeat(64)}`]) {
      expect((await put('img-good', body({ container: { image } }))).status).toBeLessThanOrEqual(201);
      // The next PUT updates the group once its creation has ended (before, ACI answers 409 ContainerGroupTransitioning).
      clock.advance(60_000);
    }
  });

  it('a private registry needs credentials for its server: username and password, or a user-assigned identity of the group', async () => {
    const image = 'mlopsacr.azurecr.io/fashion-cnn:7';
    await refused('reg-none', body({ container: { image } }), 'InaccessibleImage', /^The image 'mlopsacr\.azurecr\.io\/fashion-cnn:7' in container group 'reg-none' is not accessible/);
    await refused('reg-other', body({ container: { image }, props: { imageRegistryCredentials: [{ server: 'other.azurecr.io', username: 'u', password: 'p' }] } }), 'InaccessibleImage');
    await refused('reg-nopass', body({ container: { image }, props: { imageRegistryCredentials: [{ server: 'mlopsacr.azurecr.io', username: 'u' }] } }), 'InaccessibleImage');
    await refused('reg-uai-missing', body({ container: { image }, props: { imageRegistryCredentials: [{ server: 'mlopsacr.azurecr.io', identity: UAI }] } }), 'InaccessibleImage');
    expect((await put('reg-pass', body({ container: { image }, props: { imageRegistryCredentials: [{ server: 'mlopsacr.azurecr.io', username: 'u', password: 'p' }], ipAddress: { type: 'Public', ports: [{ port: 5001 }], dnsNameLabel: 'reg-pass-label' } } }))).status).toBe(201);
    const viaIdentity = body({ container: { image }, identity: { type: 'UserAssigned', userAssignedIdentities: { [UAI]: {} } }, props: { imageRegistryCredentials: [{ server: 'MLOPSACR.azurecr.io', identity: UAI }], ipAddress: { type: 'Public', ports: [{ port: 5001 }], dnsNameLabel: 'reg-uai-label' } } });
    expect((await put('reg-uai', viaIdentity)).status).toBe(201);
  });

  it('location: only regions that offer container groups', async () => {
    await refused('loc-bad', body({ location: 'atlantis' }), 'LocationNotAvailableForResourceType', /^The provided location 'atlantis' is not available for resource type 'Microsoft\.ContainerInstance\/containerGroups'/);
    expect((await put('loc-spaced', body({ location: 'West Europe', props: { ipAddress: { type: 'Public', ports: [{ port: 5001 }], dnsNameLabel: 'loc-spaced-label' } } }))).status).toBe(201);
  });

  it('ports: in range, and every port of the IP address exposed by a container', async () => {
    await refused('port-unexposed', body({ props: { ipAddress: { type: 'Public', ports: [{ port: 8080 }] } } }), 'InvalidIpAddressPorts', /'8080'/);
    await refused('port-zero', body({ container: { ports: [{ port: 0 }] } }), 'InvalidContainerPorts', /The port must be beteween 1 and 65535/);
    await refused('port-empty', body({ props: { ipAddress: { type: 'Public', ports: [] } } }), 'MissingIpAddressPorts');
  });

  it('osType and the body itself', async () => {
    await refused('os-none', body({ props: { osType: 'Plan9' } }), 'InvalidOsType', /The value must be one of 'Windows,Linux'/);
    await refused('body-none', 'not an object', 'InvalidRequestContent');
  });
});

describe('the bot sends its pull identity for a private image only', () => {
  const spec = { name: 'g', image: 'mlopsacr.azurecr.io/m:1', cpu: 1, memoryInGB: 1.5, port: 5001 };
  it('adds the identity as registry credential and as a user-assigned identity of the group', () => {
    expect(withPullIdentity(spec, UAI)).toEqual({ ...spec, registry: { server: 'mlopsacr.azurecr.io', identity: UAI }, userAssignedIdentities: [UAI] });
  });
  it('leaves public images, explicit credentials and an unset identity alone', () => {
    expect(withPullIdentity({ ...spec, image: 'nginx' }, UAI)).toEqual({ ...spec, image: 'nginx' });
    expect(withPullIdentity({ ...spec, image: 'mcr.microsoft.com/x:1' }, UAI).registry).toBeUndefined();
    const own = { ...spec, registry: { server: 'mlopsacr.azurecr.io', username: 'u', password: 'p' } };
    expect(withPullIdentity(own, UAI)).toBe(own);
    expect(withPullIdentity(spec, undefined)).toBe(spec);
    expect(withPullIdentity({ ...spec, userAssignedIdentities: [UAI] }, UAI).userAssignedIdentities).toEqual([UAI]);
  });
});
