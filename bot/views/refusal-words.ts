import { ACTION_ROLES, type Action } from '../../services/auth/authorizer';
import type { Refusal } from '../../services/workflow/action-result';

const VERBS: Record<Action, string> = {
  train: 'start training runs of',
  deploy: 'deploy',
  rollback: 'roll back',
  cancel: 'cancel runs of',
  retry: 'retry runs of',
  decide: 'approve or reject deployments of',
};

/** The engine's refusal, in words for the person who asked. */
export function refusalWords(r: Refusal): string {
  switch (r.kind) {
    case 'forbidden':
      return r.env
        ? `You are not allowed to ${VERBS[r.action]} ${r.model} in ${r.env}: it needs the ${r.needs.join(' or ')} role for ${r.model} in ${r.env} (admins hold every role). Nothing was changed.`
        : `You are not allowed to ${VERBS[r.action]} ${r.model}: it needs the ${r.needs.join(' or ')} role for ${r.model} (admins hold every role). Nothing was changed.`;
    case 'no-run':
      return `There is no run ${r.runId}.`;
    case 'state':
      return r.message;
  }
}

/** For /help: who may run a command that performs `action`. */
export function accessWords(action: Action | undefined): string {
  if (!action) return 'Anyone in the conversation can use it.';
  return `Needs the ${ACTION_ROLES[action].join(' or ')} role for the model (admins hold every role). Audited.`;
}
