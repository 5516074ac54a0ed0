import type { GroupRecord, Phase, Timings } from './container-groups.store';

/**
 * Wire JSON of container groups, shaped like the real answers in
 * test/fixtures/protocols/aci/ (the SDK recording and the REST spec examples). Secrets that ARM
 * never echoes (secureValue, registry password, storage keys, secret volumes, workspace keys)
 * are dropped here.
 */
export interface WireEvent {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  name: string;
  message: string;
  type: 'Normal' | 'Warning';
}

/** ARM's timestamps in instance views have second precision. */
export function armTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function event(name: string, message: string, at: number, type: 'Normal' | 'Warning' = 'Normal', count = 1, last = at): WireEvent {
  return { count, firstTimestamp: armTime(at), lastTimestamp: armTime(last), name, message, type };
}

/** A container's instance view; none while the group is Pending (as in the recorded PUT answer). */
export function containerView(g: GroupRecord, phase: Phase, scoringContainer: boolean, crashRestarts: number, t: Timings): Record<string, unknown> | undefined {
  const c = g.containers[0];
  const image = c?.image ?? '';
  const pullAt = g.startedAt + t.pendingMs;
  const readyAt = g.startedAt + t.pendingMs + t.creatingMs;
  if (phase === 'Pending') return undefined;
  const pulling = event('Pulling', `Pulling image "${image}"`, pullAt);
  if (phase === 'Creating') return { restartCount: 0, currentState: { state: 'Waiting', detailStatus: 'ContainerCreating' }, events: [pulling] };
  if (phase === 'Failed') {
    return {
      restartCount: 0,
      currentState: { state: 'Waiting', detailStatus: 'ErrImagePull' },
      events: [pulling, failedPull(image, readyAt)],
    };
  }
  const started = g.runningSince ?? readyAt;
  const events = [
    pulling,
    event('Pulled', `Successfully pulled image "${image}" in ${(t.creatingMs / 1000).toFixed(3)}s`, readyAt),
    event('Created', `Created container ${c?.name ?? ''}`, readyAt),
    event('Started', `Started container ${c?.name ?? ''}`, readyAt, 'Normal', 1 + g.restartsByUser + crashRestarts, started),
  ];
  if (g.restartsByUser > 0) events.push(event('Killing', `Stopping container ${c?.name ?? ''}`, started, 'Normal', g.restartsByUser));
  if (scoringContainer && g.modes.crash) {
    const lastCrash = started + Math.max(0, crashRestarts - 1) * t.crashLoopMs;
    const terminated = { state: 'Terminated', startTime: armTime(lastCrash), exitCode: 1, finishTime: armTime(lastCrash + 1000), detailStatus: 'Error' };
    events.push(event('BackOff', 'Back-off restarting failed container', started + 1000, 'Warning', crashRestarts, lastCrash + 1000));
    return { restartCount: crashRestarts, currentState: terminated, previousState: terminated, events };
  }
  return { restartCount: g.restartsByUser, currentState: { state: 'Running', startTime: armTime(started), detailStatus: '' }, events };
}

function failedPull(image: string, at: number): WireEvent {
  return event('Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = manifest unknown`, at, 'Warning');
}

export function groupWire(g: GroupRecord, phase: Phase, containers: unknown[], withInstanceView: boolean): Record<string, unknown> {
  const props = (g.body.properties ?? {}) as Record<string, unknown>;
  const running = phase === 'Succeeded';
  const out: Record<string, unknown> = {
    sku: props.sku ?? 'Standard',
    provisioningState: phase,
    containers,
    initContainers: props.initContainers ?? [],
  };
  if (Array.isArray(props.imageRegistryCredentials)) {
    out.imageRegistryCredentials = (props.imageRegistryCredentials as Array<Record<string, unknown>>).map(({ password: _p, ...rest }) => rest);
  }
  out.restartPolicy = props.restartPolicy ?? 'Always';
  out.osType = props.osType;
  const ip = props.ipAddress as Record<string, unknown> | undefined;
  if (ip) {
    const { ip: _i, fqdn: _f, ...requested } = ip;
    // The single deviation from ACI: the scoring server listens on a free loopback port, which
    // is reported in ipAddress.ports instead of the container port (which cannot be bound here).
    const ports = running && g.port !== undefined ? [{ protocol: 'TCP', port: g.port }] : requested.ports;
    const label = typeof ip.dnsNameLabel === 'string' ? ip.dnsNameLabel : undefined;
    out.ipAddress = {
      ...requested,
      ports,
      ...(running ? { ip: '127.0.0.1' } : {}),
      ...(running && label ? { fqdn: `${label}.${g.regionSlug}.azurecontainer.io` } : {}),
    };
  }
  if (Array.isArray(props.volumes)) out.volumes = (props.volumes as Array<Record<string, unknown>>).map(redactVolume);
  if (withInstanceView) {
    const image = g.containers[0]?.image ?? '';
    const events = phase === 'Failed' ? [failedPull(image, g.startedAt + 1)] : g.groupEvents;
    out.instanceView = { events, state: running ? 'Running' : 'Pending' };
  }
  const diag = props.diagnostics as { logAnalytics?: { workspaceId?: unknown } } | undefined;
  if (diag?.logAnalytics) out.diagnostics = { logAnalytics: { workspaceId: diag.logAnalytics.workspaceId } };
  for (const k of ['dnsConfig', 'subnetIds', 'priority', 'confidentialComputeProperties', 'extensions', 'encryptionProperties']) {
    if (props[k] !== undefined) out[k] = props[k];
  }
  const body: Record<string, unknown> = { properties: out };
  const identity = wireIdentity(g.body.identity);
  if (identity) body.identity = identity;
  Object.assign(body, { id: g.id, name: g.name, type: 'Microsoft.ContainerInstance/containerGroups', location: g.location.replace(/\s+/g, '') });
  if (Array.isArray(g.body.zones)) body.zones = g.body.zones;
  if (g.body.tags && typeof g.body.tags === 'object') body.tags = g.body.tags;
  return body;
}

function redactVolume(v: Record<string, unknown>): Record<string, unknown> {
  const out = { ...v };
  if (v.azureFile && typeof v.azureFile === 'object') {
    const { storageAccountKey: _k, ...rest } = v.azureFile as Record<string, unknown>;
    out.azureFile = rest;
  }
  if (v.secret !== undefined) out.secret = {};
  return out;
}

function wireIdentity(identity: unknown): Record<string, unknown> | undefined {
  if (!identity || typeof identity !== 'object') return undefined;
  const id = identity as { type?: unknown; userAssignedIdentities?: Record<string, unknown> };
  const type = typeof id.type === 'string' ? id.type : 'None';
  const out: Record<string, unknown> = {};
  if (/SystemAssigned/i.test(type)) Object.assign(out, { principalId: '64240530-4280-43f7-83ee-308e2d517832', tenantId: '88888888-8888-8888-8888-888888888888' });
  out.type = type;
  if (id.userAssignedIdentities) {
    out.userAssignedIdentities = Object.fromEntries(
      Object.keys(id.userAssignedIdentities).map((k) => [k, { principalId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222' }]),
    );
  }
  return out;
}
