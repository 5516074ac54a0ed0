/** Bot Framework activities as Teams sends them, for tests that post to /api/messages over HTTP. */
let seq = 0;

export interface Who {
  id: string;
  name: string;
  aadObjectId?: string;
}

/** What every activity from Teams carries: ids, channel, service URL, sender, bot, conversation. */
function envelope(serviceUrl: string, conversationId: string, from: Who): Record<string, unknown> {
  return {
    id: `act-${++seq}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from,
    recipient: { id: 'bot-id', name: 'MLOps ChatOps' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId: 'tenant-1' },
  };
}

export function messageActivity(serviceUrl: string, conversationId: string, from: Who, text: string): Record<string, unknown> {
  return { type: 'message', ...envelope(serviceUrl, conversationId, from), text, textFormat: 'plain' };
}

export function invokeActivity(serviceUrl: string, conversationId: string, from: Who, verb: string, data: Record<string, unknown>, replyToId = 'card-1'): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    ...envelope(serviceUrl, conversationId, from),
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

export async function postActivity(botUrl: string, activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${botUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
