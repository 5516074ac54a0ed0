import type { z } from 'zod';
import type { AppConfig } from '../../services/config/config';
import type { Action, Authorizer } from '../../services/auth/authorizer';
import type { Principal } from '../../services/auth/roles';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';
import type { RunCardWriter } from '../run-card.writer';
import type { ScheduleService } from '../../services/schedule/schedule.service';

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
}

export interface FlagSpec {
  description: string;
  /** A flag without a value (`--all`). */
  boolean?: boolean;
  valueName?: string;
}

/** What a command handler sees: plain data and our own services, never botbuilder types. */
export interface CommandContext {
  user: Principal;
  conversation: { id: string; type: 'personal' | 'groupChat' | 'channel' };
  config: Readonly<AppConfig>;
  /** Role checks, for display (who may approve, /whoami); the engine makes the binding checks itself. */
  auth: Authorizer;
  registry: { specs(): readonly AnyCommandSpec[]; get(id: string): AnyCommandSpec | undefined };
  workflow: { engine: RunEngine; runs: RunStore; now: () => number; /** The one writer of run cards. */ cards: RunCardWriter; /** Retraining schedules; absent in contexts without a store. */ schedules?: ScheduleService };
}

export type CommandReply =
  | { kind: 'text'; text: string }
  | { kind: 'card'; card: Record<string, unknown>; summary: string; /** The bot records the sent message as this run's card. */ runCardOf?: string };

/** The raw words, shaped for the command's zod schema. */
export interface CommandInput {
  positionals: Record<string, string | undefined>;
  flags: Record<string, string | true>;
  params: Record<string, string>;
}

export interface CommandSpec<A> {
  id: string;
  summary: string;
  usage: string;
  examples: readonly string[];
  positionals: readonly PositionalSpec[];
  flags: Readonly<Record<string, FlagSpec>>;
  /** Description of `key=value` pairs if the command takes them; otherwise they are refused. */
  params?: string;
  args: z.ZodType<A>;
  /** Whether running it changes anything (audited). */
  sideEffects: boolean;
  /**
   * The run-engine action it performs, if any: the engine checks the user's role for the model at
   * execution time (see ACTION_ROLES); /help shows it. Without one, anyone may run the command.
   */
  action?: Action;
  run: (args: A, ctx: CommandContext) => Promise<CommandReply>;
}

// The registry stores specs of different argument types side by side.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous collection; each spec is type-checked where it is defined
export type AnyCommandSpec = CommandSpec<any>;

export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}
