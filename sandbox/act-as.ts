/**
 * The Agents Playground shows one signed-in user and cannot switch users. To act as a second
 * user (an approver), this sends the same invoke the playground sends for a card click, with
 * that user as `from`, through the playground's own conversation endpoint:
 *
 *   npm run act-as -- megan approve r-1 "looks good"
 *   npm run act-as -- megan reject r-1 "accuracy regressed"
 *
 * The bot checks the user's role exactly as it does in Teams. Sandbox use only.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Where the bot posted the run's approval card: `npm start` keeps its state in data/sandbox.db. */
function approvalMessage(runId: string): { conversation_id: string; activity_id: string } | undefined {
  const db = new Database(process.env.SANDBOX_DB ?? join(process.cwd(), 'data', 'sandbox.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT conversation_id, activity_id FROM messages WHERE run_id = ? AND kind = 'approvalCard'").get(runId) as { conversation_id: string; activity_id: string } | undefined;
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const [who, action, runId, ...rest] = process.argv.slice(2);
  const base = process.env.PLAYGROUND_URL ?? `http://127.0.0.1:${process.env.PLAYGROUND_PORT ?? 56150}`;
  if (!who || !action || !runId || !['approve', 'reject'].includes(action)) {
    process.stderr.write('usage: npm run act-as -- <user name or id> <approve|reject> <run id> [comment]\n');
    process.exit(2);
  }
  const cfg = (await (await fetch(`${base}/_internal/v1/config`)).json()) as {
    config: { currentUser: { id: string; name: string }; users: { id: string; name: string }[] };
  };
  const users = [cfg.config.currentUser, ...cfg.config.users];
  const user = users.find((u) => u.id === who || u.name.toLowerCase().startsWith(who.toLowerCase()));
  if (!user) {
    process.stderr.write(`no playground user "${who}"; users: ${users.map((u) => `${u.name} (${u.id})`).join(', ')}\n`);
    process.exit(2);
  }
  const message = approvalMessage(runId);
  if (!message) {
    process.stderr.write(`run ${runId} has no approval card yet (is it waiting for approval?)\n`);
    process.exit(2);
  }
  const res = await fetch(`${base}/_conversation/v1/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: action, data: { runId, approvalId: `${runId}-approval`, cardVersion: 0, comment: rest.join(' ') } }, trigger: 'manual' },
      from: { id: user.id },
      conversation: { id: message.conversation_id },
      replyToId: message.activity_id,
    }),
  });
  const text = await res.text();
  let shown = text;
  try {
    const body = JSON.parse(text) as { type?: string; value?: unknown };
    shown = body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : body.type === 'application/vnd.microsoft.card.adaptive' ? 'done: the bot answered with the updated approval card' : text;
  } catch {
    // not JSON: show as is
  }
  process.stdout.write(`${user.name}: ${action} ${runId} -> HTTP ${res.status}: ${shown}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)} (is npm start running?)\n`);
  process.exit(1);
});
