import type { TokenCredential } from '@azure/identity';
import { SCOPES, entraToken, type AuthProvider } from '../http/auth';
import { HttpPipeline, type OperationOptions } from '../http/http-pipeline';
import type { RetryOptions } from '../http/retry';
import type { Logger } from '../logger';

export interface GraphClientOptions {
  /** https://graph.microsoft.com in Azure; the sandbox's stand-in in tests. */
  endpoint: string;
  credential: TokenCredential;
  logger?: Logger;
  retry?: Partial<RetryOptions>;
  /** Injectable for tests: another way to get the bearer token. */
  auth?: AuthProvider;
}

/** Microsoft Graph documents at most 20 group ids per checkMemberGroups request. */
export const CHECK_MEMBER_GROUPS_MAX = 20;

/**
 * The little of Microsoft Graph the bot needs, called with the bot's own identity (application
 * permissions User.Read.All and GroupMember.Read.All, or Directory.Read.All).
 */
export class GraphClient {
  private readonly http: HttpPipeline;

  constructor(o: GraphClientOptions) {
    this.http = new HttpPipeline({
      service: 'graph',
      baseUrl: `${o.endpoint.replace(/\/+$/, '')}/v1.0`,
      auth: o.auth ?? entraToken(o.credential, SCOPES.graph),
      requestIdHeaders: ['request-id', 'client-request-id'],
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
    });
  }

  /**
   * POST /v1.0/directoryObjects/{id}/checkMemberGroups: which of `groupIds` the object (a user
   * by Entra object id) is a member of, transitively. Split into requests of 20 ids, as documented.
   */
  async checkMemberGroups(objectId: string, groupIds: readonly string[], options: OperationOptions = {}): Promise<string[]> {
    const found: string[] = [];
    for (let i = 0; i < groupIds.length; i += CHECK_MEMBER_GROUPS_MAX) {
      const chunk = groupIds.slice(i, i + CHECK_MEMBER_GROUPS_MAX);
      const res = await this.http.send<{ value?: unknown }>(
        'directoryObjects.checkMemberGroups',
        // A read despite the POST: retrying it after a timeout changes nothing.
        { method: 'POST', path: `directoryObjects/${encodeURIComponent(objectId)}/checkMemberGroups`, body: { groupIds: chunk }, idempotent: true },
        options,
      );
      const value = Array.isArray(res.body.value) ? res.body.value : [];
      found.push(...value.filter((v): v is string => typeof v === 'string' && chunk.includes(v)));
    }
    return found;
  }
}
