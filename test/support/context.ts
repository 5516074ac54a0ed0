import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../../services/config/config';
import { RolePolicy } from '../../services/auth/roles';
import type { CommandRegistry } from '../../bot/commands/command-registry';
import type { CommandContext } from '../../bot/commands/command-spec';

export const REPO_ROOT = join(__dirname, '../..');

/** The repo's own default configuration in sandbox mode, as `npm start` uses it. */
export function sandboxConfig(extraEnv: Record<string, string> = {}): Readonly<AppConfig> {
  return loadConfig({ MLOPS_SANDBOX: '1', STATE_STORE: 'sqlite::memory:', ...extraEnv }, undefined, REPO_ROOT);
}

export function commandContext(registry: CommandRegistry, user: Partial<CommandContext['user']> = {}, config = sandboxConfig()): CommandContext {
  return {
    user: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020', ...user },
    conversation: { id: 'conv-1', type: 'personal' },
    config,
    roles: new RolePolicy(config.mlops),
    registry,
  };
}
