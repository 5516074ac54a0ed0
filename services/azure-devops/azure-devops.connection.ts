import type { AccessToken, TokenCredential } from '@azure/identity';
import type { WebApi } from 'azure-devops-node-api';
import type { IBuildApi } from 'azure-devops-node-api/BuildApi';
import type { IPipelinesApi } from 'azure-devops-node-api/PipelinesApi';
import type { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { SCOPES } from '../http/auth';
import type { NodeApiError } from './azure-devops.errors';
import { lazyPackage } from '../lazy-package';

/** Loaded with the first Azure DevOps call, not at start-up (services/lazy-package.ts). */
const nodeApi = lazyPackage<typeof import('azure-devops-node-api')>('azure-devops-node-api');

export type AzureDevOpsAuth = { pat: string } | { credential: TokenCredential };

/** Refresh an Entra token this long before it expires, so no call goes out with a stale one. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface RawResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One azure-devops-node-api connection: the WebApi with a PAT or bearer handler, its lazily
 * discovered area clients, and raw REST calls through the same authenticated HTTP client for
 * what node-api lacks (pipeline approvals, service hooks) or drops (continuation tokens).
 */
export class AzureDevOpsConnection {
  readonly orgUrl: string;
  readonly secrets: readonly string[];
  private api: WebApi | undefined;
  private bearer: BearerCredentialHandler | undefined;
  private readonly credential: TokenCredential | undefined;
  private token: AccessToken | undefined;
  private refreshing: Promise<void> | undefined;
  private buildApiPromise: Promise<IBuildApi> | undefined;
  private pipelinesApiPromise: Promise<IPipelinesApi> | undefined;

  constructor(
    orgUrl: string,
    private readonly auth: AzureDevOpsAuth,
    private readonly socketTimeoutInMs: number,
  ) {
    this.orgUrl = orgUrl.replace(/\/+$/, '');
    if ('pat' in auth) {
      this.secrets = [auth.pat, Buffer.from(`PAT:${auth.pat}`).toString('base64')];
    } else {
      this.credential = auth.credential;
      this.secrets = [];
    }
  }

  /** The WebApi with a PAT or bearer handler, built on first use (azure-devops-node-api is loaded then). */
  get webApi(): WebApi {
    if (this.api) return this.api;
    const { WebApi, getBearerHandler, getPersonalAccessTokenHandler } = nodeApi();
    // keepAlive: without it typed-rest-client builds a new http.Agent for every request, so every
    // call opened (and in Azure, TLS-negotiated) a connection of its own: ≈ 200 µs more CPU per
    // call on loopback, measured (docs/performance.md, fifth round). With it, one agent per client
    // reuses its sockets; Node's agent drops an idle socket before the server's Keep-Alive timeout.
    const requestOptions = { socketTimeout: this.socketTimeoutInMs, keepAlive: true };
    if ('pat' in this.auth) {
      this.api = new WebApi(this.orgUrl, getPersonalAccessTokenHandler(this.auth.pat), requestOptions);
    } else {
      // The handler's token is replaced before each call once it nears expiry (see authorize()).
      this.bearer = getBearerHandler(this.token?.token ?? 'pending') as BearerCredentialHandler;
      this.api = new WebApi(this.orgUrl, this.bearer, requestOptions);
    }
    return this.api;
  }

  /** Makes sure the bearer handler holds a token valid for a while yet (no-op with a PAT). */
  async authorize(signal?: AbortSignal): Promise<void> {
    // The token is kept here too: a WebApi built after this takes it (see webApi).
    if (!this.credential) return;
    if (this.token && this.token.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return;
    this.refreshing ??= (async () => {
      try {
        const token = await this.credential?.getToken(SCOPES.azureDevOps, signal ? { abortSignal: signal } : {});
        if (!token) throw new Error(`no Entra token for scope ${SCOPES.azureDevOps}`);
        this.token = token;
        if (this.bearer) this.bearer.token = token.token;
      } finally {
        this.refreshing = undefined;
      }
    })();
    await this.refreshing;
  }

  /** Area clients; a failed discovery is not cached, so the next attempt discovers again. */
  buildApi(): Promise<IBuildApi> {
    this.buildApiPromise ??= this.webApi.getBuildApi().catch((e: unknown) => {
      this.buildApiPromise = undefined;
      throw e;
    });
    return this.buildApiPromise;
  }

  pipelinesApi(): Promise<IPipelinesApi> {
    this.pipelinesApiPromise ??= this.webApi.getPipelinesApi().catch((e: unknown) => {
      this.pipelinesApiPromise = undefined;
      throw e;
    });
    return this.pipelinesApiPromise;
  }

  /**
   * A REST call through node-api's authenticated HTTP client. Unlike its RestClient this keeps
   * 404 bodies and every response header (request ids, x-ms-continuationtoken), and fails
   * with the same error shape node-api uses, so one classifier serves both paths.
   */
  async raw<T>(method: 'GET' | 'POST' | 'PATCH', path: string, query: Record<string, string | number | undefined>, body?: unknown): Promise<RawResponse<T>> {
    const url = new URL(`${this.orgUrl}/${path.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
    const res = await this.webApi.rest.client.request(method, url.toString(), body === undefined ? '' : JSON.stringify(body), headers);
    const text = await res.readBody();
    const status = res.message.statusCode ?? 0;
    const responseHeaders = res.message.headers as RawResponse<T>['headers'];
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status > 299) {
      const message = (parsed as { message?: unknown } | undefined)?.message;
      const err: Error & NodeApiError = Object.assign(new Error(typeof message === 'string' ? message : `Failed request: (${status})`), {
        statusCode: status,
        result: parsed,
        responseHeaders,
      });
      throw err;
    }
    if (parsed === undefined && text !== '') throw new Error(`Azure DevOps answered ${method} ${url.pathname} with a body that is not JSON`);
    return { status, body: parsed as T, headers: responseHeaders };
  }
}
