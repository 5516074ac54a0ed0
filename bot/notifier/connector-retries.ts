import type { CloudAdapter, TurnContext } from 'botbuilder';

interface PipelineLike {
  getOrderedPolicies(): { name: string }[];
  removePolicy(options: { name: string }): unknown;
}

const SDK_RETRY_POLICY = 'defaultRetryPolicy';

/**
 * Takes the SDK's retry policy off the connector client of this continuation (a fresh client per
 * call), so the notifier's backoff is the only one: the SDK retries 429 only with Retry-After and
 * 5xx for ~7 s per attempt, which would hide attempts from our counts and stretch every wait.
 * The client keeps its pipeline in a field the typings mark private (botbuilder-stdlib
 * ServiceClientContext.client); when that shape is missing the SDK policy simply stays, and the
 * two retry layers stack, which is slower but still correct.
 */
export function ownRetries(ctx: TurnContext, adapter: CloudAdapter): boolean {
  const connector: unknown = ctx.turnState.get(adapter.ConnectorClientKey);
  const pipeline = (connector as { client?: { pipeline?: Partial<PipelineLike> } } | undefined)?.client?.pipeline;
  if (!pipeline || typeof pipeline.getOrderedPolicies !== 'function' || typeof pipeline.removePolicy !== 'function') return false;
  if (!pipeline.getOrderedPolicies().some((p) => p.name === SDK_RETRY_POLICY)) return true;
  pipeline.removePolicy({ name: SDK_RETRY_POLICY });
  return true;
}
