import template from './templates/welcome.json';
import { displayUsage, escapeMarkdown, renderCard, type AdaptiveCard } from './render';

export interface WelcomeView {
  commands: readonly { usage: string; summary: string }[];
  /** Shown when the bot runs against the local sandbox, so nobody mistakes it for Azure. */
  sandboxMode: boolean;
}

export function welcomeCard(view: WelcomeView): AdaptiveCard {
  return renderCard(template, {
    title: 'Hi, I am MLOps ChatOps',
    intro: 'I run your MLOps pipeline from chat: Azure DevOps CI, training on Databricks, the model registry, an approval, and deployment to Azure Container Instances. One card per run shows its progress live.',
    commands: view.commands.map((c) => ({ usage: displayUsage(c.usage), summary: escapeMarkdown(c.summary) })),
    mode: view.sandboxMode ? 'Sandbox mode: I am talking to local stand-ins of Azure, not to your subscription.' : '',
  });
}
