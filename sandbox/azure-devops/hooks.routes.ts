import { HttpFault, type SandboxServer } from '../common/http-server';
import type { ApiRouteKit } from './api.routes';
import type { AzureDevOpsSandboxState } from './sandbox-state';
import { SUPPORTED_EVENT_TYPES, type Subscription } from './service-hooks';
import type { WireContext } from './wire-shapes';

const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);

/** The subscription as the service shows it: the basic-auth password is never echoed back. */
function wireSubscription(c: WireContext, s: Subscription): Record<string, unknown> {
  const { basicAuthPassword, ...shown } = s.consumerInputs;
  return {
    id: s.id, url: `${c.baseUrl}/${c.org}/_apis/hooks/subscriptions/${s.id}`, status: 'enabled',
    publisherId: s.publisherId, eventType: s.eventType, resourceVersion: s.resourceVersion,
    consumerId: s.consumerId, consumerActionId: s.consumerActionId, createdDate: s.createdDate,
    publisherInputs: s.publisherInputs,
    consumerInputs: basicAuthPassword !== undefined ? { ...shown, basicAuthPassword: '********' } : shown,
  };
}

/** Service-hook subscriptions: list (filters as in [H71] Subscriptions - List) and create (webHooks/httpRequest). */
export function registerHookRoutes(server: SandboxServer, state: AzureDevOpsSandboxState, { api, ok, body }: ApiRouteKit): void {
  const ctx = state.ctx;
  // How a client avoids a second copy of its subscription.
  server.route('GET', '/:org/_apis/hooks/subscriptions', 'subscriptions.list', api((req) => {
    const q = req.query;
    const list = state.hooks.subscriptions
      .filter((s) => !q.get('publisherId') || s.publisherId === q.get('publisherId'))
      .filter((s) => !q.get('eventType') || s.eventType === q.get('eventType'))
      .filter((s) => !q.get('consumerId') || s.consumerId === q.get('consumerId'))
      .filter((s) => !q.get('consumerActionId') || s.consumerActionId === q.get('consumerActionId'));
    return ok({ count: list.length, value: list.map((s) => wireSubscription(ctx(), s)) });
  }));
  server.route('POST', '/:org/_apis/hooks/subscriptions', 'subscriptions.create', api((req) => {
    const b = body(req);
    const consumerInputs = (b.consumerInputs ?? {}) as Record<string, string>;
    if (b.consumerId !== 'webHooks' || b.consumerActionId !== 'httpRequest') throw new HttpFault(400, 'SubscriptionInputException', 'The sandbox supports the webHooks consumer with the httpRequest action only.');
    if (typeof b.eventType !== 'string' || !SUPPORTED_EVENT_TYPES.has(b.eventType)) throw new HttpFault(400, 'SubscriptionInputException', `Event type '${String(b.eventType)}' is not supported by publisher '${String(b.publisherId)}'.`);
    if (!/^https?:\/\//.test(consumerInputs.url ?? '')) throw new HttpFault(400, 'SubscriptionInputException', "The input 'url' is required and must be an absolute URL.");
    const sub = state.hooks.add({
      publisherId: text(b.publisherId, 'pipelines'), eventType: b.eventType, resourceVersion: text(b.resourceVersion, '5.1-preview.1'),
      consumerId: 'webHooks', consumerActionId: 'httpRequest',
      publisherInputs: (b.publisherInputs ?? {}) as Record<string, string>, consumerInputs,
    });
    const wire = wireSubscription(ctx(), sub);
    const creator = { id: '00ca946b-2fe9-4f2a-ae2f-40d5c48001bc' };
    return ok({
      ...wire,
      eventDescription: `Pipeline ${sub.publisherInputs.pipelineId ?? 'any'}`,
      actionDescription: `To host ${new URL(consumerInputs.url ?? 'http://x').host}`,
      createdBy: creator, modifiedBy: creator, modifiedDate: sub.createdDate,
      publisherInputs: { ...sub.publisherInputs, hostId: 'd81542e4-cdfa-4333-b082-1ae2d6c3ad16', tfsSubscriptionId: sub.id },
    });
  }));
}
