import { SandboxServer, type SandboxReply, type SandboxRequest } from '../common/http-server';
import type { SandboxClock } from '../common/clock';
import type { FaultRegistry } from '../common/faults';
import type { TokenStore } from '../arm/token.sandbox';

/**
 * Microsoft Graph's checkMemberGroups, the one call the bot makes (docs/sandbox/graph.md names
 * the sources): POST /v1.0/{users|directoryObjects}/{id}/checkMemberGroups with {"groupIds": [...]}
 * (1 to 20 ids) → 200 {"value": [ids the object is a transitive member of]}. A token issued by the
 * sandbox's managed-identity endpoint for https://graph.microsoft.com is required. Errors use
 * Graph's body {error: {code, message, innerError: {date, request-id, client-request-id}}}.
 */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class GraphDirectoryState {
  private readonly users = new Set<string>();
  /** group id → direct members (users or groups). */
  private readonly members = new Map<string, Set<string>>();

  addUser(objectId: string): this {
    this.users.add(objectId.toLowerCase());
    return this;
  }

  addMember(groupId: string, memberId: string): this {
    const g = groupId.toLowerCase();
    this.members.set(g, (this.members.get(g) ?? new Set()).add(memberId.toLowerCase()));
    return this;
  }

  removeMember(groupId: string, memberId: string): void {
    this.members.get(groupId.toLowerCase())?.delete(memberId.toLowerCase());
  }

  hasObject(id: string): boolean {
    return this.users.has(id.toLowerCase()) || this.members.has(id.toLowerCase());
  }

  /** Transitive, as Graph documents: a member of a group that is a member of the group counts. */
  isMember(objectId: string, groupId: string, seen = new Set<string>()): boolean {
    const direct = this.members.get(groupId.toLowerCase());
    if (!direct || seen.has(groupId.toLowerCase())) return false;
    seen.add(groupId.toLowerCase());
    if (direct.has(objectId.toLowerCase())) return true;
    return [...direct].some((m) => this.members.has(m) && this.isMember(objectId, m, seen));
  }
}

export interface GraphSandbox {
  url: string;
  state: GraphDirectoryState;
  server: SandboxServer;
  close(): Promise<void>;
}

export async function startGraphSandbox(o: { clock: SandboxClock; faults: FaultRegistry; tokens: TokenStore; port?: number; state?: GraphDirectoryState }): Promise<GraphSandbox> {
  const state = o.state ?? new GraphDirectoryState();
  const errorBody = (_status: number, code: string, message: string): unknown => ({ error: { code, message, innerError: { date: new Date().toISOString() } } });
  const server = new SandboxServer({ service: 'graph', faults: o.faults, clock: o.clock, requestIdHeader: 'request-id', errorBody });
  const error = (status: number, code: string, message: string): SandboxReply => ({ status, body: errorBody(status, code, message) });

  const check = (req: SandboxRequest): SandboxReply => {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) return error(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!o.tokens.validate(auth.slice('Bearer '.length), GRAPH_RESOURCE)) return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    const id = decodeURIComponent(req.params.id ?? '');
    const body = req.body as { groupIds?: unknown } | undefined;
    const ids = body?.groupIds;
    if (!Array.isArray(ids) || ids.length === 0) return error(400, 'Request_BadRequest', "Invalid request: the parameter 'groupIds' is required and must be a non-empty array.");
    if (ids.length > 20) return error(400, 'Request_BadRequest', 'The maximum number of groups that can be checked in one request is 20.');
    if (ids.some((g) => typeof g !== 'string' || !GUID.test(g))) return error(400, 'Request_BadRequest', "Invalid GUID in 'groupIds'.");
    if (!state.hasObject(id)) return error(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    const value = (ids as string[]).filter((g) => state.isMember(id, g));
    return { status: 200, body: { '@odata.context': `${GRAPH_RESOURCE}/v1.0/$metadata#Collection(Edm.String)`, value } };
  };
  server.route('POST', '/v1.0/users/:id/checkMemberGroups', 'users.checkMemberGroups', check);
  server.route('POST', '/v1.0/directoryObjects/:id/checkMemberGroups', 'directoryObjects.checkMemberGroups', check);
  await server.listen(o.port ?? 0);
  return { url: server.url, state, server, close: () => server.close() };
}
