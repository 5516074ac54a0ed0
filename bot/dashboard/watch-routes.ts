import { z } from 'zod';
import type { Authorizer, Forbidden } from '../../services/auth/authorizer';
import type { MlopsConfig } from '../../services/config/mlops-config.schema';
import type { ScheduleService } from '../../services/schedule/schedule.service';
import type { Store } from '../../services/store/store';
import { parseSubscriptionTarget, subscriptionTarget } from '../../services/watch/watch.types';
import type { RunStore, Subscription } from '../../services/workflow/run-store';
import { unscheduleCommand } from '../commands/schedule.command';
import { refusalWords } from '../views/refusal-words';
import { conversationWords, isInConversation, type MemberLookup } from './conversation-membership';
import type { ScheduleDto, SubscriptionDto } from './dashboard-dto';
import { cached, json, parseBody, parseQuery, signInCheck, type RouteKit } from './dashboard-http';
import type { SsoUser, SsoValidator } from './sso-validator';

export interface WatchApiDeps {
  sso: SsoValidator | undefined;
  runs: RunStore;
  conversations: Pick<Store, 'listConversations' | 'getConversation'>;
  members: MemberLookup;
  auth: Authorizer;
  schedules: ScheduleService | undefined;
  config: Pick<MlopsConfig, 'models' | 'subscriptions'>;
  now: () => number;
}

const noControl = (max: number) => z.string().min(1).max(max).refine((v) => ![...v].some((c) => c.charCodeAt(0) < 32), 'no control characters');
const listQuery = z.object({
  after: z.string().max(700).regex(/^[A-Za-z0-9_-]+$/, 'after must be the `next` of the page before').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const removeSubscription = z.object({ conversationId: noControl(300), target: noControl(250) });
const removeSchedule = z.object({ model: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a model name such as fashion-cnn') });

const keyOf = (s: Subscription): string => Buffer.from(`${s.conversationId}\n${s.model}`).toString('base64url');
const TARGET_WORDS = (target: string): string => {
  if (target === '*') return 'every model and every watched pipeline and job';
  const ext = parseSubscriptionTarget(target);
  return ext ? (ext.source === 'azure-devops' ? `pipeline ${ext.ref}` : `Databricks job ${ext.ref}`) : `model ${target}`;
};

/**
 * Subscriptions and schedules, under the chat's rules: /unsubscribe lets whoever is in a
 * conversation remove its subscriptions (no role), so the page lists and removes the
 * subscriptions of the conversations you are in; /schedule lists every schedule to anyone and
 * /unschedule needs the role its command declares (`unscheduleCommand.action`, train).
 */
export function registerWatchApi(kit: RouteKit, deps: WatchApiDeps): void {
  const signedIn = signInCheck(kit, deps.sso);
  const declared = new Set<string>();
  for (const s of deps.config.subscriptions) {
    for (const m of s.models) declared.add(`${s.conversationId}\n${m}`);
    for (const p of s.pipelines) declared.add(`${s.conversationId}\n${subscriptionTarget('azure-devops', String(p))}`);
    for (const j of s.jobs) declared.add(`${s.conversationId}\n${subscriptionTarget('databricks', String(j))}`);
  }
  // The role /unschedule declares (train), checked by the one Authorizer; a command without one is open to anyone.
  const unscheduleRefusal = (user: SsoUser, model: string): Promise<Forbidden | undefined> => (unscheduleCommand.action ? deps.auth.check(user, unscheduleCommand.action, model) : Promise.resolve(undefined));
  /** The conversations the person is in, among those with subscriptions, with their words. */
  const yours = async (user: SsoUser, ids: Set<string>): Promise<Map<string, string>> => {
    const mine = new Map<string, string>();
    for (const c of await deps.conversations.listConversations()) if (ids.has(c.conversationId) && (await isInConversation(user, c, deps.members))) mine.set(c.conversationId, conversationWords(c));
    return mine;
  };

  kit.get('/api/dashboard/subscriptions', 'dashboard subscriptions', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard subscriptions');
    if (!user) return;
    const q = parseQuery(kit, req, res, 'dashboard subscriptions', listQuery);
    if (!q) return;
    const all = (await deps.runs.listSubscriptions()).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const mine = await yours(user, new Set(all.map((s) => s.conversationId)));
    const visible = all.filter((s) => mine.has(s.conversationId) && (!q.after || keyOf(s) > q.after));
    const page = visible.slice(0, q.limit);
    const last = page[page.length - 1];
    const subscriptions: SubscriptionDto[] = page.map((s) => ({
      conversationId: s.conversationId,
      conversation: mine.get(s.conversationId) ?? 'Conversation',
      target: s.model,
      what: TARGET_WORDS(s.model),
      events: [...s.events],
      fromConfig: declared.has(`${s.conversationId}\n${s.model}`),
    }));
    cached(req, res, { subscriptions, ...(visible.length > q.limit && last ? { next: keyOf(last) } : {}) });
  });

  kit.post('/api/dashboard/subscriptions/remove', 'dashboard unsubscribe', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard unsubscribe');
    if (!user) return;
    const body = await parseBody(kit, req, res, 'dashboard unsubscribe', removeSubscription, '{"conversationId": "...", "target": "<model | * | pipeline:… | job:…>"}');
    if (!body) return;
    const c = await deps.conversations.getConversation(body.conversationId);
    if (!c || !(await isInConversation(user, c, deps.members))) {
      return kit.refuse(res, 'dashboard unsubscribe', { status: 403, message: 'You can remove the subscriptions of a conversation you are in only, as /unsubscribe there would. Nothing was changed.' }, 'not a member');
    }
    const exists = (await deps.runs.listSubscriptions()).some((s) => s.conversationId === body.conversationId && s.model === body.target);
    if (!exists) return kit.refuse(res, 'dashboard unsubscribe', { status: 404, message: 'That conversation has no such subscription. Nothing was changed.' }, 'no subscription');
    const removed = await deps.runs.removeSubscription(body.conversationId, body.target);
    await deps.runs.appendAudit({ at: new Date(deps.now()).toISOString(), actor: user.id, action: 'unsubscribe', outcome: 'ok', detail: { conversationId: body.conversationId, model: body.target, removed, via: 'dashboard' } });
    json(res, 200, { message: `${conversationWords(c)} no longer gets events of ${TARGET_WORDS(body.target)}.` });
  });

  kit.get('/api/dashboard/schedules', 'dashboard schedules', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard schedules');
    if (!user) return;
    // One schedule per model at most, so the list is as long as the models: no paging.
    const schedules: ScheduleDto[] = [];
    for (const s of (await deps.schedules?.list()) ?? []) {
      schedules.push({
        model: s.model, cron: s.cron, timeZone: s.timeZone, nextDue: s.nextDue, owner: s.owner.name,
        ...(s.lastRunId ? { lastRunId: s.lastRunId } : {}), ...(s.lastFiredAt ? { lastFiredAt: s.lastFiredAt } : {}),
        mayRemove: (await unscheduleRefusal(user, s.model)) === undefined,
      });
    }
    cached(req, res, { schedules });
  });

  kit.post('/api/dashboard/schedules/remove', 'dashboard unschedule', async (req, res) => {
    const user = await signedIn(req, res, 'dashboard unschedule');
    if (!user) return;
    const body = await parseBody(kit, req, res, 'dashboard unschedule', removeSchedule, '{"model": "<model>"}');
    if (!body) return;
    if (!(body.model in deps.config.models) || !deps.schedules) return kit.refuse(res, 'dashboard unschedule', { status: 404, message: `There is no model "${body.model}" with a schedule. Nothing was changed.` }, 'no model');
    const at = new Date(deps.now()).toISOString();
    // Refusals are audited as the command audits them.
    const forbidden = await unscheduleRefusal(user, body.model);
    if (forbidden) {
      await deps.runs.appendAudit({ at, actor: user.id, action: 'schedule.remove', outcome: 'refused', detail: { reason: 'forbidden', model: forbidden.model, needs: forbidden.needs, via: 'dashboard' } });
      return kit.refuse(res, 'dashboard unschedule', { status: 403, message: refusalWords(forbidden) }, 'forbidden');
    }
    const removed = await deps.schedules.remove(body.model);
    await deps.runs.appendAudit({ at, actor: user.id, action: 'schedule.remove', outcome: removed ? 'ok' : 'refused', detail: { model: body.model, via: 'dashboard' } });
    if (!removed) return kit.refuse(res, 'dashboard unschedule', { status: 404, message: `${body.model} had no schedule. Nothing was changed.` }, 'no schedule');
    json(res, 200, { message: `${body.model} is no longer retrained on a schedule.` });
  });
}
