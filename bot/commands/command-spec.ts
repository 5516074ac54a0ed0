import type { z } from 'zod';
import type { AppConfig } from '../../services/config/config';
import type { Principal, Role, RolePolicy } from '../../services/auth/roles';
import type { RunEngine } from '../../services/workflow/run-engine';
import type { RunStore } from '../../services/workflow/run-store';

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
  roles: RolePolicy;
  registry: { specs(): readonly AnyCommandSpec[]; get(id: string): AnyCommandSpec | undefined };
  /** The run workflow; absent only in tests of commands that do not need it. */
  workflow?: { engine: RunEngine; runs: RunStore; now: () => number };
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
  /** Whether running it changes anything (audited, role-checked at execution time). */
  sideEffects: boolean;
  /** Roles allowed to run it; empty = anyone. */
  roles: readonly Role[];
  run: (args: A, ctx: CommandContext) => Promise<CommandReply>;
}

// The registry stores specs of different argument types side by side.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous collection; each spec is type-checked where it is defined
export type AnyCommandSpec = CommandSpec<any>;

export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}

export const WORKFLOW_NOT_CONFIGURED = 'The run workflow is not configured in this bot. Nothing was changed.';

/** The context of a command that needs the run workflow: it is there. */
export type WorkflowCommandContext = CommandContext & { workflow: NonNullable<CommandContext['workflow']> };

/**
 * A command backed by the run workflow. Where the bot runs without one, the command answers
 * honestly that it is not configured and changes nothing: decided here, once, for every such command.
 */
export function defineWorkflowCommand<A>(spec: Omit<CommandSpec<A>, 'run'> & { run: (args: A, ctx: WorkflowCommandContext) => Promise<CommandReply> }): CommandSpec<A> {
  return {
    ...spec,
    run: async (args, ctx) => {
      const { workflow } = ctx;
      if (!workflow) return { kind: 'text', text: WORKFLOW_NOT_CONFIGURED };
      return spec.run(args, { ...ctx, workflow });
    },
  };
}
