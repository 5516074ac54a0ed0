import template from './templates/whoami.json';
import { escapeMarkdown, renderCard, type AdaptiveCard } from './render';

export interface WhoAmIView {
  name: string;
  teamsId: string;
  aadObjectId: string | undefined;
  globalRoles: readonly string[];
  perModel: readonly { model: string; roles: readonly string[] }[];
}

export function whoAmICard(view: WhoAmIView): AdaptiveCard {
  const roles = (r: readonly string[]): string => (r.length ? r.join(', ') : 'none');
  return renderCard(template, {
    name: escapeMarkdown(view.name),
    facts: [
      { title: 'Teams id', value: escapeMarkdown(view.teamsId) },
      { title: 'Entra object id', value: escapeMarkdown(view.aadObjectId ?? 'not provided by this client') },
      { title: 'Roles', value: roles(view.globalRoles) },
    ],
    models: view.perModel.map((m) => ({ model: m.model, roles: roles(m.roles) })),
    note: 'Roles come from mlops.config.yaml (roles, and models.<name>.roles). Ask an admin to change them.',
  });
}
