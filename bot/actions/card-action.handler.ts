import { parseCardAction, type CardAction } from '../../cards/card-actions';
import type { AdaptiveCard } from '../../cards/render';
import { trainFormCard } from '../../cards/train-form.card';
import type { PersonView } from '../../cards/views';
import type { Authorizer, Forbidden } from '../../services/auth/authorizer';
import type { Principal } from '../../services/auth/roles';
import type { AppConfig } from '../../services/config/config';
import { samePerson } from '../../services/workflow/approval-policy';
import { validateParameters } from '../../services/workflow/parameters';
import { lastEnvironment } from '../../services/workflow/environments';
import { rollbackTarget } from '../../services/workflow/rollback-target';
import type { ScheduleService } from '../../services/schedule/schedule.service';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { refusalWords } from '../views/refusal-words';
import { trainFormView } from '../views/run-views';
import type { RunCardWriter } from '../run-card.writer';

/** What a card click produces: a card that replaces the clicked one for the clicker, or a message. */
export type ActionOutcome =
  | { kind: 'card'; card: AdaptiveCard; /** Also replace the message for everyone and record it as this run's card. */ becomesRunCardOf?: RunRecord }
  | { kind: 'message'; text: string; /** A new run was started: post its card in the conversation. */ newRun?: RunRecord }
  | { kind: 'error'; status: 400; text: string };

/** Who may approve a run, for the approval card: members of its conversation, and the configured ones. */
export interface ApproverDirectory {
  approversOf(run: RunRecord): Promise<PersonView[]>;
}

export interface CardActionDeps {
  config: Readonly<AppConfig>;
  auth: Authorizer;
  engine: RunEngine;
  runs: RunStore;
  approvers: ApproverDirectory;
  /** The one writer of run cards. */
  cards: RunCardWriter;
  now: () => number;
  /** Retry of watched external runs (services/watch); absent when watching is off. */
  watch?: { retry(key: string, user: Principal): Promise<{ ok: boolean; text: string; forbidden?: Forbidden }> };
  /** Retraining schedules (for /schedule, which reads the same deps). */
  schedules?: ScheduleService;
}

/**
 * Every card verb. The data that came back from the card is only used for ids: the run is
 * reloaded and the clicker's role re-checked here, at execution time.
 */
export async function handleCardAction(deps: CardActionDeps, verb: string | undefined, data: unknown, user: Principal, conversationId: string): Promise<ActionOutcome> {
  const parsed = parseCardAction(verb, data);
  if (!parsed.ok) return { kind: 'error', status: 400, text: `${parsed.error}. Nothing was changed.` };
  const a: CardAction = parsed.action;
  switch (a.verb) {
    case 'approve':
    case 'reject': {
      const result = await deps.engine.decide(a.runId, user, a.verb === 'approve' ? 'approved' : 'rejected', a.comment ?? '');
      if (!result.ok) return { kind: 'message', text: refusalWords(result.refusal) };
      return { kind: 'card', card: await approvalFor(deps, result.run, user) };
    }
    case 'refreshApproval': {
      const run = await deps.runs.getRun(a.runId);
      if (!run) return { kind: 'message', text: `There is no run ${a.runId}.` };
      return { kind: 'card', card: await approvalFor(deps, run, user) };
    }
    case 'cancelRun': {
      const result = await deps.engine.cancel(a.runId, user);
      return result.ok ? { kind: 'card', card: await deps.cards.card(result.run) } : { kind: 'message', text: refusalWords(result.refusal) };
    }
    case 'retryRun': {
      const result = await deps.engine.retry(a.runId, user, conversationId);
      return result.ok ? { kind: 'message', text: result.message, newRun: result.run } : { kind: 'message', text: refusalWords(result.refusal) };
    }
    case 'promoteRun': {
      const result = await deps.engine.promote(a.runId, user, conversationId);
      return result.ok ? { kind: 'message', text: result.message, newRun: result.run } : { kind: 'message', text: refusalWords(result.refusal) };
    }
    case 'refreshRun': {
      const run = await deps.cards.stored(a.runId);
      return run ? { kind: 'card', card: await deps.cards.card(run) } : { kind: 'message', text: `There is no run ${a.runId}.` };
    }
    case 'chooseTrainModel': {
      if (!(a.model in deps.config.mlops.models)) return { kind: 'message', text: `There is no model "${a.model}".` };
      return { kind: 'card', card: trainFormCard(trainFormView(deps.config, a.model)) };
    }
    case 'retryExternal': {
      if (!deps.watch) return { kind: 'message', text: 'Watching external runs is off. Nothing was started.' };
      const result = await deps.watch.retry(a.watchKey, user);
      // A role refusal reads as every other one; other outcomes are the watch service's sentence.
      return { kind: 'message', text: result.forbidden ? refusalWords(result.forbidden) : result.text };
    }
    case 'rollbackTo': {
      // The card's version is only what it showed: the engine recomputes the target (rollback-target.ts).
      const m = deps.config.mlops.models[a.model];
      const env = a.env ?? (m ? lastEnvironment(m).name : undefined);
      const live = rollbackTarget(await deps.runs.listRuns({ model: a.model, limit: 200 }), env);
      if (live && live.previous !== a.version) return { kind: 'message', text: `The previous version of ${a.model} in ${env ?? 'production'} is now ${live.previous}, not ${a.version}; use /rollback ${a.model}. Nothing was changed.` };
      const result = await deps.engine.startRollback({ model: a.model, requester: user, conversationId, ...(env ? { env } : {}) });
      return result.ok ? { kind: 'message', text: result.message, newRun: result.run } : { kind: 'message', text: refusalWords(result.refusal) };
    }
    case 'submitTrain': {
      const m = deps.config.mlops.models[a.model];
      if (!m) return { kind: 'message', text: `There is no model "${a.model}". Nothing was started.` };
      // The same validation as `/train key=value`: one set of rules for both ways in.
      const checked = validateParameters(m.parameters, a.parameters);
      if (!checked.ok) return { kind: 'card', card: trainFormCard(trainFormView(deps.config, a.model, { fieldErrors: checked.errors, values: { branch: a.branch, ...a.parameters } })) };
      const result = await deps.engine.startTrain({ model: a.model, params: checked.values, branch: a.branch, requester: user, conversationId });
      if (!result.ok) return { kind: 'message', text: refusalWords(result.refusal) };
      return { kind: 'card', card: await deps.cards.card(result.run), becomesRunCardOf: result.run };
    }
  }
}

/** The approval card as this user should see it: buttons only for an approver who may decide. */
async function approvalFor(deps: CardActionDeps, run: RunRecord, user: Principal): Promise<AdaptiveCard> {
  const canAct = !samePerson(run.requester, user) && !run.approval?.decisions.some((d) => samePerson(d.by, user)) && (await deps.auth.hasRole(user, 'approver', run.model, run.target));
  const approvers = await deps.approvers.approversOf(run);
  return deps.cards.approval(run, { approvers, canAct });
}
