import { CommandRegistry } from './command-registry';
import { approvalsCommand } from './approvals.command';
import { auditCommand } from './audit.command';
import { cancelCommand } from './cancel.command';
import { deployCommand } from './deploy.command';
import { helpCommand } from './help.command';
import { logsCommand } from './logs.command';
import { rollbackCommand } from './rollback.command';
import { runsCommand } from './runs.command';
import { statusCommand } from './status.command';
import { scheduleCommand, unscheduleCommand } from './schedule.command';
import { subscribeCommand } from './subscribe.command';
import { trainCommand } from './train.command';
import { unsubscribeCommand } from './unsubscribe.command';
import { whoamiCommand } from './whoami.command';

/** Every command of the design, in the order /help lists them. Adding a command: one file, one line here. */
export function createCommandRegistry(): CommandRegistry {
  return new CommandRegistry([
    trainCommand,
    statusCommand,
    runsCommand,
    approvalsCommand,
    cancelCommand,
    deployCommand,
    rollbackCommand,
    logsCommand,
    subscribeCommand,
    unsubscribeCommand,
    scheduleCommand,
    unscheduleCommand,
    auditCommand,
    whoamiCommand,
    helpCommand,
  ]);
}

/** The commands the welcome card shows. */
export const WELCOME_COMMANDS = ['train', 'status', 'approvals'] as const;
