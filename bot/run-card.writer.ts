import { approvalCard } from '../cards/approval.card';
import { deepFreeze } from '../services/deep-freeze';
import { StampedCache } from '../services/store/stamped-cache';
import type { AdaptiveCard } from '../cards/render';
import { runCard } from '../cards/run.card';
import type { PersonView } from '../cards/views';
import type { MlopsConfig } from '../services/config/mlops-config.schema';
import { nextEnvironment } from '../services/workflow/environments';
import { rollbackTarget } from '../services/workflow/rollback-target';
import type { RunStore } from '../services/workflow/run-store';
import type { RunRecord } from '../services/workflow/run.types';
import type { Notifier } from './notifier';
import { approvalCardView, environmentViews, runCardShowsTime, runCardView } from './views/run-views';

export interface RunCardWriterDeps {
  runs: RunStore;
  /** The models' environments; without them the card shows the run's own environment only. */
  models?: MlopsConfig['models'];
  now: () => number;
  /** The "Open in dashboard" link of a run (absent: no such button). */
  dashboardLink?: (runId: string) => string | undefined;
}

/**
 * The one writer of run cards: every reply, refresh and update of a run's card is built here
 * (with the model's environments, what is live in each and whether the run may be promoted),
 * and the message that shows it is recorded and updated here. The turn that posts a card as a
 * reply records it with `record`; the dispatcher posts or updates it with `show`.
 */
export class RunCardWriter {
  /**
   * Runs and history pages read for cards, kept while the store is unchanged (StampedCache). They
   * are shared by every turn that reads them until then, so they are frozen: a card is built from
   * them, nothing writes to them.
   */
  private readonly runsRead: StampedCache<RunRecord | undefined>;
  private readonly historyRead: StampedCache<readonly RunRecord[]>;

  constructor(private readonly deps: RunCardWriterDeps) {
    const stamp = deps.runs.changeStamp?.bind(deps.runs);
    this.runsRead = new StampedCache(stamp);
    this.historyRead = new StampedCache(stamp);
  }

  /**
   * The stored run, to show (the /status card): read and parsed once while the store is
   * unchanged, then the same frozen record. Not for a transition: the engine reads its own copy.
   */
  async stored(id: string): Promise<RunRecord | undefined> {
    return this.runsRead.get(id, async () => deepFreeze(await this.deps.runs.getRun(id)));
  }

  /**
   * A run's card. For a run read through `stored` (frozen, so the same object means the same
   * record) whose card does not count time (runCardShowsTime), the card built last time is given
   * again while the store is unchanged: its history would read the same, and nothing else in it
   * moves. The card of a finished run, refreshed by everyone who looks at it, is the common case.
   */
  async card(run: RunRecord): Promise<AdaptiveCard> {
    const stamp = Object.isFrozen(run) && !runCardShowsTime(run) ? this.deps.runs.changeStamp?.() : undefined;
    if (stamp !== undefined) {
      const shown = this.shown.get(run);
      if (shown?.stamp === stamp) return shown.card;
    }
    const card = await this.build(run);
    // Filed under the stamp read before building: if a write came in meanwhile, the next look
    // reads a newer stamp and builds again.
    if (stamp !== undefined) this.shown.set(run, { stamp, card });
    return card;
  }

  /** Cards given for frozen runs (see `card`), by the run object; a run read again is another object. */
  private readonly shown = new WeakMap<RunRecord, { stamp: string; card: AdaptiveCard }>();

  private async build(run: RunRecord): Promise<AdaptiveCard> {
    const m = this.deps.models?.[run.model];
    const names = m ? m.environments.map((e) => e.name) : [run.target];
    const offersRollback = run.status === 'succeeded' && !!run.registered?.version && run.kind !== 'relay';
    // What is live in each environment: its newest succeeded run that is not a relay. Read per
    // environment through the (model, status, target) index, a few rows at a time: reading the
    // model's last 200 succeeded runs and parsing them all cost 8 ms per card with 200 (issue 13).
    const live = new Map<string, RunRecord>();
    if (names.length > 1) {
      for (const name of names) {
        const found = (await this.succeededIn('live', run.model, name, (rs) => rs.some(isLive))).find(isLive);
        if (found) live.set(name, found);
      }
    }
    const next = m ? nextEnvironment(m, run.target) : undefined;
    const version = run.registered?.version;
    const promote = next && version && run.status === 'succeeded' && !run.promotion && run.kind !== 'relay' ? { version, env: next.name } : undefined;
    return runCard({
      ...runCardView(run, this.deps.now(), { environments: environmentViews(run, names, live), ...(promote ? { promote } : {}) }),
      ...(offersRollback ? rollbackOffer(run, await this.succeededIn('rollback', run.model, run.target, (rs) => rollbackTarget(rs, run.target) !== undefined)) : {}),
      ...this.dashboardUrl(run.id),
    });
  }

  /**
   * The succeeded runs of one model in one environment, newest first, read in pages of 1, 8, then
   * 64 until `enough` holds for what was read or none are left: the same answer as reading them all.
   * Kept per purpose (`enough`) while the store is unchanged.
   */
  private async succeededIn(purpose: 'live' | 'rollback', model: string, target: string, enough: (runs: readonly RunRecord[]) => boolean): Promise<readonly RunRecord[]> {
    return this.historyRead.get(`${purpose}\u0000${model}\u0000${target}`, async () => deepFreeze(await this.readSucceeded(model, target, enough)));
  }

  private async readSucceeded(model: string, target: string, enough: (runs: readonly RunRecord[]) => boolean): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (let limit = 1; ; limit = Math.min(64, limit * 8)) {
      const before = out.at(-1)?.id;
      const page = await this.deps.runs.listRuns({ model, status: 'succeeded', target, limit, ...(before ? { before } : {}) });
      // A store that gave the first page again would loop here for ever: its newest run twice means no progress.
      if (before && page[0]?.id === out[0]?.id) return out;
      out.push(...page);
      if (page.length < limit || enough(out)) return out;
    }
  }

  /**
   * A run's approval card: with the Approve and Reject buttons for one user who may decide
   * (`canAct`), or for everyone on the posted card (`buttonsForEveryone`; every click is role-checked).
   */
  approval(run: RunRecord, o: { approvers: PersonView[]; canAct: boolean; buttonsForEveryone?: boolean }): AdaptiveCard {
    const env = this.deps.models?.[run.model]?.environments.find((e) => e.name === run.target);
    return approvalCard({
      ...approvalCardView(run, { approvers: o.approvers, canAct: o.canAct, ...(env ? { containerGroup: env.containerGroup } : {}) }),
      ...(o.buttonsForEveryone ? { buttonsForEveryone: true } : {}),
      ...this.dashboardUrl(run.id),
    });
  }

  /** The "Open in dashboard" link of a run, for every card of it (run, approval, failure). */
  dashboardUrl(runId: string): { dashboardUrl?: string } {
    // Built once per run: the sandbox's link parses and re-serializes a URL (2.5 % of the bot's
    // CPU in the /status bench, issue 13). Only a link is kept: before the bot listens, the
    // sandbox has none yet, and the next card asks again.
    let url = this.links.get(runId);
    if (url === undefined) {
      url = this.deps.dashboardLink?.(runId);
      if (url !== undefined) {
        this.links.set(runId, url);
        if (this.links.size > 1024) this.links.delete(this.links.keys().next().value as string);
      }
    }
    return url ? { dashboardUrl: url } : {};
  }

  private readonly links = new Map<string, string>();

  /** The message a turn posted with this run's card becomes the card the dispatcher updates. */
  async record(runId: string, conversationId: string, activityId: string): Promise<void> {
    await this.deps.runs.setMessage(runId, 'runCard', conversationId, activityId);
  }

  /**
   * Updates the run's card where it is, or posts it when the run has none yet. Returns false when
   * the card is not on screen yet and a turn may still post it (within `graceMs` of the run's creation).
   */
  async show(run: RunRecord, notifier: Notifier, graceMs: number): Promise<boolean> {
    const existing = await this.deps.runs.getMessage(run.id, 'runCard');
    // Left to the turn that posts it: decided before rendering, which is most of the cost (issue 13).
    if (!existing && this.deps.now() - Date.parse(run.createdAt) < graceMs) return false;
    const message = { card: await this.card(run), summary: `Run ${run.id} of ${run.model}: ${run.status.replace('_', ' ')}` };
    if (existing) {
      await notifier.update(existing.conversationId, existing.activityId, message);
      return true;
    }
    const activityId = await notifier.send(run.conversationId, message);
    await this.record(run.id, run.conversationId, activityId);
    return true;
  }
}

const isLive = (r: RunRecord): boolean => r.kind !== 'relay';

/** "Roll back to vN" on the card of the run whose version is live in its environment (rule: services/workflow/rollback-target.ts). */
function rollbackOffer(run: RunRecord, history: readonly RunRecord[]): { rollbackVersion?: string; rollbackEnv?: string } {
  const target = rollbackTarget(history, run.target);
  return target && target.current === run.registered?.version ? { rollbackVersion: target.previous, rollbackEnv: run.target } : {};
}
