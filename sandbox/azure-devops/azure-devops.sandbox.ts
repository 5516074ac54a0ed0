import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';
import { HttpFault, SandboxServer, type SandboxRequest } from '../common/http-server';
import { BOT_IDENTITY, RESOURCES, authenticate, type SandboxIdentity } from '../common/sandbox-auth';
import { SANDBOX_CLIENT_ID, type TokenStore } from '../arm/token.sandbox';
import { silentLogger, type Logger } from '../../services/logger';
import { registerApiRoutes } from './api.routes';
import { registerDiscoveryRoutes } from './discovery.routes';
import type { PipelineSpec } from './pipeline-specs';
import { AzureDevOpsSandboxState } from './sandbox-state';
import { SUPPORTED_EVENT_TYPES } from './service-hooks';
import type { WireContext } from './wire-shapes';

/**
 * A local Azure DevOps that azure-devops-node-api runs against unmodified: point the client's
 * orgUrl at `${url}/<org>` (any org name; project by name or by the sandbox's project id).
 */
export interface AzureDevOpsSandboxOptions {
  port?: number;
  clock: SandboxClock;
  faults: FaultRegistry;
  logger?: Logger;
  pipelines?: PipelineSpec[];
  /** Project name the sandbox answers to (any name works in URLs; this one is reported back). */
  project?: string;
  /** Subscribe this URL to every supported event at start (as the bot's own subscription would). */
  hookUrl?: string;
  hookHeaders?: Record<string, string>;
  /** Ticker period in real ms that moves runs on and sends hooks without waiting for a request. */
  tickIntervalMs?: number;
  /**
   * Who may call: PATs (default: SANDBOX_ADO_PAT, the bot's service account) and, when `tokens` is
   * given, Entra tokens issued for the Azure DevOps resource. `approvers`: identity ids in the
   * environment's approver group (default: the bot's account and the sandbox managed identity).
   */
  auth?: { pats?: ReadonlyMap<string, SandboxIdentity>; tokens?: TokenStore; approvers?: readonly string[] };
}

/** The PAT the sandbox accepts unless told otherwise (sandbox.env passes it to the bot). */
export const SANDBOX_ADO_PAT = 'sandbox-pat-not-a-secret';

export interface AzureDevOpsSandbox {
  url: string;
  close(): Promise<void>;
  server: SandboxServer;
  state: AzureDevOpsSandboxState;
}

/** Build reasons a run can be queued with (BuildReason in BuildInterfaces, as strings). */
const QUEUE_REASONS = ['manual', 'individualCI', 'batchedCI', 'schedule', 'pullRequest', 'resourceTrigger', 'buildCompletion'];

export const SANDBOX_PROJECT_ID = '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c';

function errorBody(status: number, code: string, message: string): Record<string, unknown> {
  const typeKey = status === 429 ? 'RequestBlockedException' : /Exception$/.test(code) ? code : `${code}Exception`;
  const text = status === 429 ? 'TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource \'ATCPU\' in namespace \'User\'.' : message;
  return {
    $id: '1', innerException: null, message: text,
    typeName: `Microsoft.TeamFoundation.Framework.Server.${typeKey}, Microsoft.TeamFoundation.Framework.Server`,
    typeKey, errorCode: 0, eventId: 3000,
  };
}

export async function startAzureDevOpsSandbox(options: AzureDevOpsSandboxOptions): Promise<AzureDevOpsSandbox> {
  const logger = (options.logger ?? silentLogger).child({ sandbox: 'azure-devops' });
  let baseUrl = '';
  let org = 'mlops';
  const project = { id: SANDBOX_PROJECT_ID, name: options.project ?? 'MLOps' };
  const ctx = (): WireContext => ({ baseUrl, org, project });
  const state = new AzureDevOpsSandboxState(options.clock, ctx, logger, options.pipelines);
  const server = new SandboxServer({ service: 'azure-devops', faults: options.faults, clock: options.clock, requestIdHeader: 'x-vss-e2eid', errorBody });

  const rules = { secrets: options.auth?.pats ?? new Map([[SANDBOX_ADO_PAT, BOT_IDENTITY]]), resource: RESOURCES.azureDevOps, ...(options.auth?.tokens ? { tokens: options.auth.tokens } : {}) };
  state.approverIds = new Set(options.auth?.approvers ?? [BOT_IDENTITY.id, SANDBOX_CLIENT_ID]);
  /** PAT as Basic (any user name) or Bearer, or an Entra token for Azure DevOps; anything else is 401. */
  const authorize = (req: SandboxRequest): SandboxIdentity => {
    const auth = req.headers.authorization;
    const outcome = authenticate(auth, rules, true);
    if (!outcome.ok) {
      const message = outcome.reason === 'missing' ? 'TF400813: Resource not available for anonymous access. Client authentication required.' : "TF400813: The user '' is not authorized to access this resource.";
      throw new HttpFault(401, 'UnauthorizedRequestException', message);
    }
    state.lastAuthorization = auth;
    // The org segment of the path is remembered so that links point back at what the client used.
    org = req.path.split('/')[1] ?? org;
    return outcome.who.identity;
  };
  registerDiscoveryRoutes(server, authorize);
  registerApiRoutes(server, state, authorize);
  server.route('POST', '/_control/azure-devops/fail-next-run', 'control.failNextRun', (req) => {
    const task = (req.body as { task?: unknown } | undefined)?.task;
    if (typeof task !== 'string' || task === '') throw new HttpFault(400, 'InvalidArgumentValue', 'body must be {"task": "<task name>"}');
    state.failNextRunAt = task;
    return { status: 200, body: { failNextRunAt: task } };
  });

  // The "UI path": a person (or a schedule, a PR policy) queues a run; the bot did not start it.
  // The web UI queues through the same Builds/Pipelines endpoints as the signed-in user, so the
  // run differs from the bot's only in requestedFor/requestedBy and reason (docs/sandbox/azure-devops.md).
  server.route('POST', '/_control/azure-devops/queue-as', 'control.queueAs', (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const who = (b.requestedFor ?? {}) as Record<string, unknown>;
    if (typeof b.pipelineId !== 'number' || typeof who.displayName !== 'string' || typeof who.uniqueName !== 'string') {
      throw new HttpFault(400, 'InvalidArgumentValue', 'body must be {"pipelineId": n, "requestedFor": {"displayName", "uniqueName", "id"?}, "reason"?, "branch"?, "templateParameters"?, "failTask"?}');
    }
    const reason = typeof b.reason === 'string' ? b.reason : 'manual';
    if (!QUEUE_REASONS.includes(reason)) throw new HttpFault(400, 'InvalidArgumentValue', `reason must be one of ${QUEUE_REASONS.join(', ')}`);
    const run = state.queue(b.pipelineId, {
      requestedFor: { id: typeof who.id === 'string' ? who.id : randomUUID(), displayName: who.displayName, uniqueName: who.uniqueName },
      reason,
      ...(typeof b.branch === 'string' ? { sourceBranch: b.branch } : {}),
      ...(b.templateParameters && typeof b.templateParameters === 'object' ? { templateParameters: b.templateParameters as Record<string, unknown> } : {}),
      ...(typeof b.failTask === 'string' ? { failTask: b.failTask } : {}),
    });
    return { status: 200, body: { id: run.id, buildNumber: run.buildNumber } };
  });

  baseUrl = await server.listen(options.port ?? 0);
  addAdoResponseHeaders(server);

  if (options.hookUrl) {
    const httpHeaders = Object.entries(options.hookHeaders ?? {}).map(([k, v]) => `${k}:${v}`).join('\n');
    for (const eventType of SUPPORTED_EVENT_TYPES) {
      state.hooks.add({
        publisherId: eventType === 'build.complete' ? 'tfs' : 'pipelines', eventType, resourceVersion: eventType === 'build.complete' ? '2.0' : '5.1-preview.1',
        consumerId: 'webHooks', consumerActionId: 'httpRequest', publisherInputs: { projectId: project.id },
        consumerInputs: { url: options.hookUrl, ...(httpHeaders ? { httpHeaders } : {}) },
      });
    }
  }

  const ticker = setInterval(() => state.tick(), options.tickIntervalMs ?? 25);
  ticker.unref();
  return {
    url: baseUrl,
    server,
    state,
    close: async () => {
      clearInterval(ticker);
      await state.hooks.flush();
      await server.close();
    },
  };
}

/**
 * SandboxServer sends one request-id header and only Retry-After on injected faults. Azure DevOps
 * also sends ActivityId, and its 429s carry the X-RateLimit-* family, which the client's retry
 * policy reads; we add them by wrapping each response's writeHead (sandbox/common stays as is).
 */
function addAdoResponseHeaders(server: SandboxServer): void {
  const http = (server as unknown as { server: Server | undefined }).server;
  if (!http) return;
  const [listener] = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (!listener) return;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => ServerResponse;
    (res as unknown as { writeHead: typeof writeHead }).writeHead = (status: number, headers: Record<string, string> = {}) => {
      const activityId = headers['x-vss-e2eid'] ?? randomUUID();
      const extra: Record<string, string> = { activityid: activityId };
      if (status === 429) {
        extra['x-ratelimit-resource'] = 'ATCPU';
        extra['x-ratelimit-limit'] = '200';
        // Delay/Remaining/Reset are wait hints; a fault without Retry-After must stay hint-free.
        const retryAfter = headers['retry-after'];
        if (retryAfter !== undefined) {
          extra['x-ratelimit-delay'] = Number(retryAfter).toFixed(3);
          extra['x-ratelimit-remaining'] = '0';
          extra['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000 + Number(retryAfter)));
        }
      }
      return writeHead(status, { ...headers, ...extra });
    };
    listener(req, res);
  });
}
