import helpTemplate from './templates/help.json';
import commandHelpTemplate from './templates/command-help.json';
import { displayUsage, escapeMarkdown, renderCard, type AdaptiveCard } from './render';
import { memoByView } from './card-memo';

export interface CommandSummaryView {
  usage: string;
  summary: string;
}

export interface HelpView {
  commands: readonly CommandSummaryView[];
}

/** The same for everyone: built once per list of commands (card-memo.ts). */
export const helpCard: (view: HelpView) => AdaptiveCard = memoByView((view: HelpView) =>
  renderCard(helpTemplate, {
    title: 'MLOps ChatOps: commands',
    intro: 'Train, approve and deploy models on Azure from chat. In a channel or group chat, @mention me first.',
    commands: view.commands.map((c) => ({ ...c, usage: displayUsage(c.usage), summary: escapeMarkdown(c.summary) })),
    footer: 'Type /help <command> for one command, e.g. /help train.',
  }),
);

export interface CommandHelpView {
  id: string;
  usage: string;
  summary: string;
  arguments: readonly { name: string; description: string }[];
  examples: readonly string[];
  /** e.g. "Needs the trainer role." */
  access: string;
}

export function commandHelpCard(view: CommandHelpView): AdaptiveCard {
  return renderCard(commandHelpTemplate, {
    ...view,
    title: `/${view.id}`,
    usage: displayUsage(view.usage),
    summary: escapeMarkdown(view.summary),
    arguments: view.arguments.map((a) => ({ name: displayUsage(a.name), description: escapeMarkdown(a.description) })),
    examples: view.examples.map(displayUsage),
  });
}
