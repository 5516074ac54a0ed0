import { z } from 'zod';
import type { AdaptiveCard } from './render';
import type { MentionEntity } from './views';

/**
 * The card verbs, shared with the bot's invoke handler (whose switch over `CardAction['verb']`
 * is exhaustive). Card data carries ids and the card version only: the handler reloads the run
 * and re-checks the clicker's role, it never trusts anything else that came back from a card.
 */
export type CardVerb = CardAction['verb'];

export type CardAction =
  | { verb: 'approve'; runId: string; approvalId: string; cardVersion: number; comment?: string }
  | { verb: 'reject'; runId: string; approvalId: string; cardVersion: number; comment?: string }
  | { verb: 'refreshApproval'; runId: string; approvalId: string; cardVersion: number }
  | { verb: 'cancelRun'; runId: string; cardVersion: number }
  | { verb: 'retryRun'; runId: string; cardVersion: number }
  | { verb: 'refreshRun'; runId: string; cardVersion: number }
  | { verb: 'promoteRun'; runId: string; cardVersion: number }
  | { verb: 'chooseTrainModel'; cardVersion: number; model: string }
  /** Retry of a run the bot did not start (a watched pipeline or job): by its report key. */
  | { verb: 'retryExternal'; watchKey: string; cardVersion: number }
  /** "Roll back to vN": opens the same approval as /rollback <model> <version>. */
  | { verb: 'rollbackTo'; model: string; version: string; env?: string | undefined; cardVersion: number }
  | {
      verb: 'submitTrain';
      cardVersion: number;
      /** The model whose parameters the form showed (from the card data, not an input). */
      model: string;
      branch: string;
      /** Raw input values by parameter name; typed against the declaration by services/workflow/parameters.ts. */
      parameters: Record<string, string>;
    };

export const CARD_VERBS = ['approve', 'reject', 'refreshApproval', 'cancelRun', 'retryRun', 'refreshRun', 'promoteRun', 'chooseTrainModel', 'submitTrain', 'retryExternal', 'rollbackTo'] as const satisfies readonly CardVerb[];

/** Input ids on the cards; inputs are merged into the action data by the client. */
export const INPUT = { comment: 'comment', branch: 'branch', paramPrefix: 'param.' } as const;

const id = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be an id (letters, digits, . _ : -)');
const cardVersion = z.number().int().min(0);
const comment = z
  .string()
  .max(1000, 'comment is longer than 1000 characters')
  .optional()
  .transform((c) => (c?.trim() ? c.trim() : undefined));
const branch = z
  .string()
  .trim()
  .min(1, 'branch is required')
  .max(200)
  .regex(/^(?!.*\.\.)(?!\/)[A-Za-z0-9._/-]+$/, 'branch must be a git branch name');
const inputValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const approval = { runId: id, approvalId: id, cardVersion };
const run = { runId: id, cardVersion };

const schemas = {
  approve: z.object({ ...approval, comment }),
  reject: z.object({ ...approval, comment }),
  refreshApproval: z.object(approval),
  cancelRun: z.object(run),
  retryRun: z.object(run),
  refreshRun: z.object(run),
  promoteRun: z.object(run),
  chooseTrainModel: z.object({ cardVersion, model: id }),
  submitTrain: z.object({ cardVersion, model: id, branch }).catchall(z.unknown()),
  retryExternal: z.object({ watchKey: z.string().regex(/^(azure-devops|databricks):\d{1,19}$/, 'must be a report key such as azure-devops:42'), cardVersion }),
  rollbackTo: z.object({ model: id, version: z.string().regex(/^\d{1,10}$/, 'must be a version number'), env: id.optional(), cardVersion }),
} satisfies Record<CardVerb, z.ZodType>;

export type ParsedCardAction = { ok: true; action: CardAction } | { ok: false; error: string };

/**
 * Validates an Action.Execute (verb + data) or its Action.Submit fallback (data.verb). Unknown
 * keys are dropped, except `param.*` inputs of the train form.
 */
export function parseCardAction(verb: string | undefined, data: unknown): ParsedCardAction {
  const record = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  if (!record) return { ok: false, error: 'card action data must be an object' };
  const v = verb ?? record.verb;
  if (typeof v !== 'string' || !isVerb(v)) return { ok: false, error: `unknown card action verb ${JSON.stringify(v)}` };
  if (record.verb !== undefined && record.verb !== v) return { ok: false, error: `card action data is for ${JSON.stringify(record.verb)}, not "${v}"` };
  const parsed = schemas[v].safeParse(record);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
    return { ok: false, error: `invalid ${v} action: ${issues.join('; ')}` };
  }
  if (v === 'submitTrain') {
    const { cardVersion: cv, model, branch: br } = parsed.data as z.infer<typeof schemas.submitTrain>;
    const parameters: Record<string, string> = {};
    for (const [key, value] of Object.entries(record)) {
      if (!key.startsWith(INPUT.paramPrefix)) continue;
      const name = key.slice(INPUT.paramPrefix.length);
      const p = inputValue.safeParse(value);
      if (!id.safeParse(name).success || !p.success) return { ok: false, error: `invalid submitTrain action: ${key}: must be a parameter value` };
      parameters[name] = p.data;
    }
    return { ok: true, action: { verb: v, cardVersion: cv, model, branch: br, parameters } };
  }
  return { ok: true, action: { verb: v, ...parsed.data } as CardAction };
}

function isVerb(v: string): v is CardVerb {
  return (CARD_VERBS as readonly string[]).includes(v);
}

/** What a card puts in an action's data: everything but the verb and what the inputs supply. */
export type CardActionData<V extends CardVerb> = Omit<Extract<CardAction, { verb: V }>, 'verb' | 'comment' | 'branch' | 'parameters'>;

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: CardVerb;
  data: Record<string, unknown>;
  associatedInputs?: 'auto' | 'none';
  fallback: { type: 'Action.Submit'; title: string; data: Record<string, unknown>; associatedInputs?: 'auto' | 'none' };
}

/**
 * An Action.Execute whose fallback, for clients older than 1.4, is an Action.Submit carrying the
 * verb in its data (teams-platform §2: the bot handles both). The schema only accepts an action
 * object or "drop" as an action's fallback, so the bare string "Action.Submit" is not used.
 */
export function executeAction<V extends CardVerb>(
  verb: V,
  title: string,
  data: CardActionData<V>,
  options: { inputs?: 'auto' | 'none' } = {},
): ExecuteAction {
  const payload = { ...(data as Record<string, unknown>) };
  const inputs = options.inputs ? { associatedInputs: options.inputs } : {};
  return {
    type: 'Action.Execute',
    title,
    verb,
    data: payload,
    ...inputs,
    fallback: { type: 'Action.Submit', title, data: { ...payload, verb }, ...inputs },
  };
}

export function openUrlAction(title: string, url: string): { type: 'Action.OpenUrl'; title: string; url: string } {
  return { type: 'Action.OpenUrl', title, url };
}

/**
 * Adds the Teams parts of a card: `msteams.entities` for the mentions in its text (not in the AC
 * 1.5 schema, whose root allows no extra properties; tests check it separately) and `refresh`.
 * `userIds: []` means a manual "Refresh card" only; approver MRIs make Teams refresh the card
 * automatically for them (Teams takes at most 60).
 */
export function withTeamsExtras(
  card: AdaptiveCard,
  extras: { mentions?: readonly MentionEntity[]; refresh?: { action: ExecuteAction; userIds: readonly string[] } },
): AdaptiveCard {
  const out: AdaptiveCard = { ...card };
  if (extras.refresh) {
    const { fallback: _fallback, ...action } = extras.refresh.action;
    out.refresh = { action, userIds: [...new Set(extras.refresh.userIds)].slice(0, 60) };
  }
  const seen = new Set<string>();
  const entities = (extras.mentions ?? []).filter((m) => !seen.has(m.text) && (seen.add(m.text), true));
  if (entities.length) out.msteams = { entities };
  return out;
}
