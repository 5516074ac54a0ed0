import approval from './templates/approval.json';
import commandHelp from './templates/command-help.json';
import failure from './templates/failure.json';
import help from './templates/help.json';
import list from './templates/list.json';
import run from './templates/run.json';
import trainForm from './templates/train-form.json';
import welcome from './templates/welcome.json';
import whoami from './templates/whoami.json';

/**
 * Every card template, the ones an action waits on first: the approval card (an Approve click
 * answers with it), the run card (/train, /status, every announcement), the failure card. The
 * warm-up (bot/warm-up.ts) compiles them in this order once the bot is listening.
 */
export const CARD_TEMPLATES: readonly object[] = [approval, run, failure, help, commandHelp, list, trainForm, welcome, whoami];
