import type { CommandContext, CommandReply } from './command-spec';

export function isReply(v: unknown): v is CommandReply {
  return typeof v === 'object' && v !== null && 'kind' in v;
}

/** The model a command is about: given, the configured default, or the only one. */
export function resolveModel(ctx: CommandContext, given: string | undefined): { model: string } | CommandReply {
  const models = Object.keys(ctx.config.mlops.models);
  const model = given ?? ctx.config.mlops.defaultModel ?? (models.length === 1 ? models[0] : undefined);
  if (!model) return { kind: 'text', text: `Which model? This bot knows ${models.join(', ')}.` };
  if (!models.includes(model)) return { kind: 'text', text: `There is no model "${model}" in mlops.config.yaml. Known models: ${models.join(', ')}.` };
  return { model };
}
