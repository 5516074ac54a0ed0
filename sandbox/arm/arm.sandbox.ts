import { randomBytes, randomUUID } from 'node:crypto';
import { checkImageAccess, type PrivateRegistry } from './image-access';
import { SandboxServer, HttpFault, type SandboxReply, type SandboxRequest, type Handler } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';
import { silentLogger, type Logger } from '../../services/logger';
import { ContainerGroupStore, DEFAULT_TIMINGS, envOf, type GroupRecord, type Modes, type Phase, type StoredContainer, type Timings } from './container-groups.store';
import { containerView } from './container-groups.wire';
import { TOKEN_PATH, TokenStore, createTokenServer } from './token.sandbox';
import { checkApiVersion, validateContainerGroup } from './container-group.validation';

/**
 * ARM (Microsoft.ContainerInstance) as @azure/arm-containerinstance speaks to it, plus the App
 * Service managed-identity token endpoint its credential uses. See docs/sandbox/aci.md.
 */
export interface ArmSandboxOptions {
  port?: number;
  /** Port of the token endpoint (a second server, fault service `token`); 0 = any. */
  tokenPort?: number;
  clock: SandboxClock;
  faults: FaultRegistry;
  logger?: Logger;
  /** The IDENTITY_HEADER secret; a random one when absent. */
  identityHeader?: string;
  timings?: Partial<Timings>;
  /** Items per page of list answers (nextLink after that many). */
  pageSize?: number;
  /** Refuse ARM calls without a token from the token endpoint (default true). */
  requireAuth?: boolean;
  /** Private registries (the sandbox ACR): their images must have been pushed and have credentials. */
  registries?: PrivateRegistry[];
  /** The token endpoint's store, shared with the other stand-ins that accept Entra tokens. */
  tokens?: TokenStore;
}

export interface ArmSandbox {
  url: string;
  /** IDENTITY_ENDPOINT for the bot's managed identity credential. */
  identityEndpoint: string;
  identityHeader: string;
  server: SandboxServer;
  tokenServer: SandboxServer;
  state: ContainerGroupStore;
  tokens: TokenStore;
  close(): Promise<void>;
}

const ARM_RESOURCE = 'https://management.azure.com';
const GROUPS = '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.ContainerInstance/containerGroups';
const GROUP = `${GROUPS}/:name`;

/** ACI's answer to an operation on a group whose previous operation has not ended (docs/sandbox/aci.md). */
function transitioning(name: string): HttpFault {
  return new HttpFault(409, 'ContainerGroupTransitioning', `The container group '${name}' is still transitioning, please retry later.`);
}

export async function startArmSandbox(o: ArmSandboxOptions): Promise<ArmSandbox> {
  const logger = (o.logger ?? silentLogger).child({ sandbox: 'arm' });
  const identityHeader = o.identityHeader ?? randomBytes(16).toString('hex');
  const tokens = o.tokens ?? new TokenStore();
  const state = new ContainerGroupStore(o.clock, { ...DEFAULT_TIMINGS, ...(o.timings ?? {}) }, logger);
  const pageSize = o.pageSize ?? 100;
  const budget = { reads: 11_999, writes: 1_199, deletes: 14_999, pt1h: 299, pt5m: 99 };
  const take = (k: keyof typeof budget): string => String((budget[k] = Math.max(0, budget[k] - 1)));

  const server = new SandboxServer({
    service: 'arm',
    faults: o.faults,
    clock: o.clock,
    requestIdHeader: 'x-ms-request-id',
    errorBody: (_status, code, message) => ({ error: { code, message } }),
  });
  const tokenServer = createTokenServer({ clock: o.clock, faults: o.faults, tokens, identityHeader });

  const base = (req: SandboxRequest): string => (typeof req.headers.host === 'string' ? `http://${req.headers.host}` : server.url);
  const reads = (): Record<string, string> => ({ 'x-ms-ratelimit-remaining-subscription-reads': take('reads'), 'x-ms-correlation-request-id': randomUUID() });

  /** api-version and bearer token, as ARM checks them before anything else. */
  const arm = (handler: Handler): Handler => (req) => {
    const apiVersion = req.query.get('api-version');
    if (!apiVersion) {
      throw new HttpFault(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (o.requireAuth !== false) {
      const auth = req.headers.authorization;
      const challenge = { 'www-authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"' };
      if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) {
        return { status: 401, headers: challenge, body: { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } } };
      }
      if (!tokens.validate(auth.slice('Bearer '.length), ARM_RESOURCE)) {
        return { status: 401, headers: challenge, body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } } };
      }
    }
    // The provider is resolved after authentication: an api-version it does not serve is refused there.
    const named = req.params.name ? state.get(req.params.sub ?? '', req.params.rg ?? '', req.params.name) : undefined;
    checkApiVersion(apiVersion, (req.body as { location?: unknown } | undefined)?.location?.toString() ?? named?.location ?? req.params.location ?? 'westeurope');
    return handler(req);
  };

  /** The operation resource (Azure-AsyncOperation) of a group's current operation, in `phase`. */
  const operationBody = (g: GroupRecord, phase: Phase): Record<string, unknown> => {
    const done = phase === 'Succeeded' || phase === 'Failed';
    const events = done ? ((containerView(g, phase === 'Failed' ? 'Failed' : 'Succeeded', true, 0, state.timings)?.events as unknown[] | undefined) ?? []) : [];
    const body: Record<string, unknown> = { id: g.id, status: phase, startTime: g.operationStartIso, properties: { events } };
    if (phase === 'Failed') body.error = { code: 'ResourceDeploymentFailure', message: "The resource operation completed with terminal provisioning state 'Failed'." };
    return body;
  };

  const notFound = (req: SandboxRequest): SandboxReply => ({
    status: 404,
    headers: { 'x-ms-failure-cause': 'gateway' },
    body: {
      error: {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.ContainerInstance/containerGroups/${req.params.name ?? ''}' under resource group '${req.params.rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      },
    },
  });

  server.route('PUT', GROUP, 'containerGroups.createOrUpdate', arm(async (req) => {
    const { sub = '', rg = '', name = '' } = req.params;
    const key = ContainerGroupStore.key(sub, rg, name);
    const dnsLabelTaken = (region: string, label: string): boolean =>
      [...state.groups.values()].some((g) => g.key !== key && g.regionSlug === region && (g.body.properties as { ipAddress?: { dnsNameLabel?: unknown } } | undefined)?.ipAddress?.dnsNameLabel === label);
    const { containers, modes } = validatePut(req.body, name, dnsLabelTaken);
    checkImageAccess(name, (req.body as { properties: Record<string, unknown> }).properties, containers.map((c) => c.image), o.registries ?? []);
    const body = req.body as Record<string, unknown>;
    // ACI refuses an operation on a group that is still transitioning (its previous operation not
    // ended): 409 ContainerGroupTransitioning (docs/sandbox/aci.md names the source).
    const before = state.get(sub, rg, name);
    const beforePhase = before ? await state.refresh(before) : undefined;
    if (before && (beforePhase === 'Pending' || beforePhase === 'Creating')) throw transitioning(before.name);
    const { g, existed } = await state.put(sub, rg, name, body, containers, modes);
    if (before && beforePhase) state.endedOperations.set(before.operationId, operationBody(before, beforePhase));
    const phase = await state.refresh(g);
    const asyncUrl = `${base(req)}/subscriptions/${sub}/providers/Microsoft.ContainerInstance/locations/${g.regionSlug}/operations/${g.operationId}?api-version=2018-06-01`;
    logger.info('container group accepted', { group: name, image: containers[0]?.image, modes });
    return {
      status: existed ? 200 : 201,
      headers: {
        'azure-asyncoperation': asyncUrl,
        'x-ms-ratelimit-remaining-subscription-writes': take('writes'),
        'x-ms-ratelimit-remaining-subscription-resource-requests-pt1h': take('pt1h'),
        'x-ms-ratelimit-remaining-subscription-resource-requests-pt5m': take('pt5m'),
        'x-ms-correlation-request-id': randomUUID(),
      },
      body: state.wire(g, true, phase),
    };
  }));

  server.route('GET', '/subscriptions/:sub/providers/Microsoft.ContainerInstance/locations/:location/operations/:op', 'operations.get', arm(async (req) => {
    const ended = state.endedOperations.get(req.params.op ?? '');
    if (ended) return { status: 200, headers: reads(), body: ended };
    const key = state.operations.get(req.params.op ?? '');
    const g = key ? state.groups.get(key) : undefined;
    if (!g || g.operationId !== req.params.op) throw new HttpFault(404, 'OperationNotFound', `The operation '${req.params.op ?? ''}' was not found.`);
    return { status: 200, headers: reads(), body: operationBody(g, await state.refresh(g)) };
  }));

  server.route('GET', GROUP, 'containerGroups.get', arm(async (req) => {
    const g = state.get(req.params.sub ?? '', req.params.rg ?? '', req.params.name ?? '');
    if (!g) return notFound(req);
    const phase = await state.refresh(g);
    return { status: 200, headers: reads(), body: state.wire(g, true, phase) };
  }));

  server.route('GET', GROUPS, 'containerGroups.listByResourceGroup', arm(async (req) => {
    const all = state.list(req.params.sub ?? '', req.params.rg ?? '');
    const skip = Number(req.query.get('$skipToken') ?? '0') || 0;
    const page = all.slice(skip, skip + pageSize);
    const body: Record<string, unknown> = { value: await Promise.all(page.map(async (g) => state.wire(g, false, await state.refresh(g)))) };
    if (skip + pageSize < all.length) {
      const next = new URL(`${base(req)}${req.path}`);
      next.searchParams.set('api-version', req.query.get('api-version') ?? '');
      next.searchParams.set('$skipToken', String(skip + pageSize));
      body.nextLink = next.toString();
    }
    return { status: 200, headers: reads(), body };
  }));

  server.route('DELETE', GROUP, 'containerGroups.delete', arm(async (req) => {
    const g = state.get(req.params.sub ?? '', req.params.rg ?? '', req.params.name ?? '');
    const headers = { 'x-ms-ratelimit-remaining-subscription-deletes': take('deletes'), 'x-ms-ratelimit-remaining-subscription-resource-requests-pt1h': take('pt1h'), 'x-ms-ratelimit-remaining-subscription-resource-requests-pt5m': take('pt5m') };
    if (!g) return { status: 204, headers };
    const phase = await state.refresh(g);
    if (phase === 'Pending' || phase === 'Creating') throw transitioning(g.name);
    const body = state.wire(g, true, phase);
    await state.delete(g);
    logger.info('container group deleted', { group: g.name });
    return { status: 200, headers, body };
  }));

  server.route('POST', `${GROUP}/restart`, 'containerGroups.restart', arm(async (req) => {
    const g = state.get(req.params.sub ?? '', req.params.rg ?? '', req.params.name ?? '');
    if (!g) return notFound(req);
    if (state.phase(g) !== 'Succeeded') throw transitioning(g.name);
    await state.restart(g);
    return { status: 204, headers: { 'x-ms-ratelimit-remaining-subscription-writes': take('writes') } };
  }));

  server.route('GET', `${GROUP}/containers/:container/logs`, 'containers.listLogs', arm(async (req) => {
    const g = state.get(req.params.sub ?? '', req.params.rg ?? '', req.params.name ?? '');
    if (!g) return notFound(req);
    const index = g.containers.findIndex((c) => c.name.toLowerCase() === (req.params.container ?? '').toLowerCase());
    if (index < 0) throw new HttpFault(404, 'ContainerNotFound', `The container '${req.params.container ?? ''}' could not be found in container group '${g.name}'.`);
    if ((await state.refresh(g)) !== 'Succeeded') throw new HttpFault(400, 'ContainerGroupNotReady', `The container '${req.params.container ?? ''}' in container group '${g.name}' has not started yet.`);
    const tailText = req.query.get('tail');
    const tail = tailText !== null && tailText !== '' ? Number(tailText) : undefined;
    const content = index === 0 ? state.logContent(g, Number.isFinite(tail) ? tail : undefined, req.query.get('timestamps') === 'true') : '';
    return { status: 200, headers: reads(), body: { content } };
  }));

  await server.listen(o.port ?? 0);
  await tokenServer.listen(o.tokenPort ?? 0);
  return {
    url: server.url,
    identityEndpoint: `${tokenServer.url}${TOKEN_PATH}`,
    identityHeader,
    server,
    tokenServer,
    state,
    tokens,
    close: async () => {
      await state.closeAll();
      await Promise.all([server.close(), tokenServer.close()]);
    },
  };
}

/** The checks ACI makes synchronously (container-group.validation.ts), then the sandbox modes. */
function validatePut(body: unknown, name: string, dnsLabelTaken: (region: string, label: string) => boolean): { containers: StoredContainer[]; modes: Modes } {
  const containers = validateContainerGroup(body, name, { dnsLabelTaken });
  const first = containers[0];
  const image = first?.image ?? '';
  const tag = (image.split('/').pop() ?? '').split(':')[1]?.toLowerCase() ?? '';
  if (tag.includes('inaccessible')) {
    throw new HttpFault(400, 'InaccessibleImage', `The image '${image}' in container group '${name}' is not accessible. Please check the image and registry credential.`);
  }
  const env = envOf(first);
  const scoreMode = env.SANDBOX_SCORE_MODE ?? (tag.includes('score-500') ? 'error' : tag.includes('score-wrong') ? 'wrong' : 'healthy');
  return {
    containers,
    modes: {
      crash: env.SANDBOX_CRASH === '1' || tag.includes('crash'),
      provisionFail: env.SANDBOX_PROVISION_FAIL === '1' || tag.includes('provision-fail'),
      scoring: scoreMode === 'error' || scoreMode === 'wrong' ? scoreMode : 'healthy',
    },
  };
}
