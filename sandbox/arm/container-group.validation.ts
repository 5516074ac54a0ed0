import { HttpFault } from '../common/http-server';
import type { StoredContainer } from './container-groups.store';

/**
 * What ARM and ACI check synchronously on a container-group PUT (400 before anything exists), and
 * the api-versions and locations the Microsoft.ContainerInstance provider serves. Every rule names
 * its source in docs/sandbox/aci.md ("Validation"); where no public capture gives the code, the
 * sandbox is strict and the docs say the code is the sandbox's.
 */

/** containerGroups api-versions of the public cloud (NoRegisteredProviderFound lists, azure-cli #30847, rest-api-specs #11634). */
export const ACI_API_VERSIONS = [
  '2017-08-01-preview', '2017-10-01-preview', '2017-12-01-preview', '2018-02-01-preview', '2018-04-01', '2018-06-01', '2018-07-01', '2018-09-01',
  '2018-10-01', '2019-12-01', '2020-11-01', '2021-03-01', '2021-07-01', '2021-09-01', '2021-10-01', '2022-04-01-preview', '2022-09-01',
  '2022-10-01-preview', '2023-02-01-preview', '2023-05-01', '2023-05-15-preview', '2024-05-01-preview',
] as const;

/** Regions where containerGroups are offered (rest-api-specs #11634 list; names as ARM normalizes them). */
export const ACI_LOCATIONS = [
  'westcentralus', 'westus', 'eastus', 'westeurope', 'westus2', 'northeurope', 'southeastasia', 'eastus2', 'centralus', 'australiaeast', 'uksouth',
  'southcentralus', 'centralindia', 'brazilsouth', 'southindia', 'northcentralus', 'eastasia', 'canadacentral', 'japaneast', 'koreacentral', 'francecentral',
] as const;

/** Standard Linux container-group limits of most regions (ACI "resource availability by region"). */
export const LIMITS = { cpu: 4, memoryInGB: 16 } as const;

/** Registries anyone can pull from without credentials; every other server (e.g. *.azurecr.io) is private. */
const PUBLIC_REGISTRIES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'mcr.microsoft.com']);

const normalize = (location: string): string => location.replace(/\s+/g, '').toLowerCase();
const fault = (code: string, message: string): never => {
  throw new HttpFault(400, code, message);
};

/** NoRegisteredProviderFound, as ARM answers an api-version the provider does not serve. */
export function checkApiVersion(apiVersion: string, location: string): void {
  if ((ACI_API_VERSIONS as readonly string[]).includes(apiVersion)) return;
  fault(
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${normalize(location)}' and API version '${apiVersion}' for type 'containerGroups'. The supported api-versions are '${ACI_API_VERSIONS.join(', ')}'. The supported locations are '${ACI_LOCATIONS.join(', ')}'.`,
  );
}

/** Docker reference grammar (distribution/reference): [host[:port]/]path[:tag][@digest], lowercase path. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REF = new RegExp(`^(?:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

/** The registry server of an image reference; Docker Hub when the first part is not a host. */
export function registryOf(image: string): string | undefined {
  const m = IMAGE_REF.exec(image);
  if (!m) return undefined;
  const first = image.split('/')[0] ?? '';
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first.toLowerCase() : 'docker.io';
}

/** ACI's DNS name label rule, as its error message states it. */
const DNS_LABEL = /^[a-z][a-z0-9-]{3,61}[a-z0-9]$/;

export interface ValidationContext {
  /** Whether another container group already holds this DNS label in this region. */
  dnsLabelTaken: (regionSlug: string, label: string) => boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** Validates a PUT body for container group `name`; returns its containers as stored. */
export function validateContainerGroup(body: unknown, name: string, ctx: ValidationContext): StoredContainer[] {
  const bad = (message: string): never => fault('InvalidRequestContent', `The request content was invalid and could not be deserialized: '${message}'.`);
  const b = obj(body) ?? bad('the body must be a container group object');
  if (typeof b.location !== 'string' || b.location === '') bad("Required property 'location' not found in JSON");
  const location = String(b.location);
  const region = normalize(location);
  if (!(ACI_LOCATIONS as readonly string[]).includes(region)) {
    fault('LocationNotAvailableForResourceType', `The provided location '${location}' is not available for resource type 'Microsoft.ContainerInstance/containerGroups'. List of available regions for the resource type is '${ACI_LOCATIONS.join(',')}'.`);
  }
  const p = obj(b.properties) ?? bad("Required property 'properties' not found in JSON");
  if (p.osType !== 'Linux' && p.osType !== 'Windows') fault('InvalidOsType', `The 'osType' for container group '${name}' is invalid. The value must be one of 'Windows,Linux'.`);
  if (p.restartPolicy !== undefined && !(typeof p.restartPolicy === 'string' && ['Always', 'OnFailure', 'Never'].includes(p.restartPolicy))) bad('restartPolicy must be one of Always, OnFailure, Never');
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    fault('ContainerGroupNameInvalid', `The container group name '${name}' is invalid. The name must contain no more than 63 characters and only lowercase alphanumeric characters and '-'.`);
  }
  if (!Array.isArray(p.containers) || p.containers.length === 0) return bad("Required property 'containers' not found in JSON");
  const containers = (p.containers as unknown[]).map((c) => container(c, name, bad));
  checkResources(containers, name, region);
  checkImages(containers, p, b, name);
  checkNetwork(containers, p, name, region, ctx);
  return containers;
}

function container(raw: unknown, group: string, bad: (m: string) => never): StoredContainer {
  const c = obj(raw);
  const props = obj(c?.properties);
  if (!c || typeof c.name !== 'string' || !props || typeof props.image !== 'string') return bad("Required property 'name' or 'properties.image' not found in container JSON");
  const requests = obj(obj(props.resources)?.requests);
  if (typeof requests?.cpu !== 'number' || typeof requests.memoryInGB !== 'number') {
    fault('ResourceRequestsNotSpecified', `The resource requests are not specified in container '${c.name}' of contain group '${group}'. Both memory and CPU requests are required since API version '2017-07-01-preview'.`);
  }
  return { name: c.name, image: props.image, properties: props };
}

function requestsOf(c: StoredContainer): { cpu: number; memoryInGB: number } {
  return (obj(c.properties.resources)?.requests ?? {}) as { cpu: number; memoryInGB: number };
}

function checkResources(containers: StoredContainer[], group: string, region: string): void {
  let cpu = 0;
  let memory = 0;
  for (const c of containers) {
    const r = requestsOf(c);
    if (!(r.cpu > 0) || !(r.memoryInGB > 0)) fault('InvalidContainerResourceRequests', `The resource requests of container '${c.name}' in container group '${group}' are invalid: CPU and memory must be greater than 0 (got '${r.cpu}' CPU and '${r.memoryInGB}' GB).`);
    if (Math.abs(Math.round(r.memoryInGB * 10) - r.memoryInGB * 10) > 1e-9) fault('InvalidMemoryRequirement', `The memory requirement is '${r.memoryInGB}' in container '${c.name}' of container group '${group}'. The memory requirement should be times of 0.1 GB.`);
    cpu += r.cpu;
    memory += r.memoryInGB;
  }
  if (cpu > LIMITS.cpu || memory > LIMITS.memoryInGB) {
    fault('ResourceRequestsNotAvailable', `The requested resource with '${cpu}' CPU and '${memory}' GB memory is not available in the location '${region}' at this moment. Please retry with a different resource request or in another location.`);
  }
}

function checkImages(containers: StoredContainer[], p: Json, b: Json, group: string): void {
  const creds = Array.isArray(p.imageRegistryCredentials) ? (p.imageRegistryCredentials as unknown[]).map(obj) : [];
  const identities = Object.keys(obj(obj(b.identity)?.userAssignedIdentities) ?? {}).map((id) => id.toLowerCase());
  for (const c of containers) {
    const server = registryOf(c.image);
    if (!server) fault('InvalidImageName', `The image '${c.image}' in container '${c.name}' of container group '${group}' is not a valid image reference ([registry/]repository[:tag][@digest], lowercase repository).`);
    if (PUBLIC_REGISTRIES.has(server ?? '')) continue;
    const cred = creds.find((x) => typeof x?.server === 'string' && x.server.toLowerCase() === server);
    const usable = cred && ((typeof cred.username === 'string' && typeof cred.password === 'string') || (typeof cred.identity === 'string' && identities.includes(cred.identity.toLowerCase())));
    if (!usable) {
      fault('InaccessibleImage', `The image '${c.image}' in container group '${group}' is not accessible. Please check the image and registry credential.`);
    }
  }
}

function checkNetwork(containers: StoredContainer[], p: Json, group: string, region: string, ctx: ValidationContext): void {
  const exposed = new Set<number>();
  for (const c of containers) {
    for (const port of Array.isArray(c.properties.ports) ? (c.properties.ports as unknown[]).map(obj) : []) {
      const n = port?.port;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) fault('InvalidContainerPorts', `The ports '${String(n)}' are invalid for container '${c.name}' in container group '${group}'. The port must be beteween 1 and 65535.`);
      exposed.add(Number(n));
    }
  }
  const ip = obj(p.ipAddress);
  if (!ip) return;
  const ports = Array.isArray(ip.ports) ? (ip.ports as unknown[]).map((x) => obj(x)?.port) : [];
  if (ports.length === 0) fault('MissingIpAddressPorts', `The ports in the 'ipAddress' of container group '${group}' cannot be empty.`);
  const unexposed = ports.filter((n) => typeof n !== 'number' || !exposed.has(n));
  if (unexposed.length > 0) fault('InvalidIpAddressPorts', `The ports '${unexposed.map(String).join(', ')}' in the 'ipAddress' of container group '${group}' are not exposed by any of its containers.`);
  const raw = ip.dnsNameLabel;
  if (raw === undefined) return;
  const label = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (typeof raw !== 'string' || !DNS_LABEL.test(label)) {
    fault('InvalidDnsNameLabel', `The DNS name label '${label}' in container group '${group}' is invalid. It can contain only lowercase letters, numbers and hyphens. The first character must be a letter. The last character must be a letter or number. The value must be between 5 and 63 characters long.`);
  }
  if (ctx.dnsLabelTaken(region, label)) fault('DnsNameLabelNotAvailable', `The DNS name label '${label}' in container group '${group}' not available. Try using a different label.`);
}
