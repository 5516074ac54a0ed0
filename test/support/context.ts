import { RunCardWriter } from '../../bot/run-card.writer';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../../services/config/config';
import type { CommandRegistry } from '../../bot/commands/command-registry';
import type { CommandContext } from '../../bot/commands/command-spec';
import { createServiceClients } from '../../services/clients';
import { silentLogger } from '../../services/logger';
import { SqliteStore } from '../../services/store/sqlite.store';
import { createAuthorizer, createRunEngine } from '../../services/workflow/workflow';
import { configReader } from './environments';

export const REPO_ROOT = join(__dirname, '../..');

/**
 * The repo's own default configuration in sandbox mode, as `npm start` uses it; `yaml` rewrites
 * mlops.config.yaml first (e.g. PRODUCTION_ONLY from ./environments).
 */
export function sandboxConfig(extraEnv: Record<string, string> = {}, yaml?: (text: string) => string): Readonly<AppConfig> {
  return loadConfig({ MLOPS_SANDBOX: '1', STATE_STORE: 'sqlite::memory:', ...extraEnv }, yaml ? configReader(yaml) : undefined, REPO_ROOT);
}

/**
 * A command context over an in-memory store and an engine without external services (none is
 * configured): enough for commands that read runs or are refused before anything is called.
 */
export function commandContext(registry: CommandRegistry, user: Partial<CommandContext['user']> = {}, config = sandboxConfig()): CommandContext {
  const store = new SqliteStore(':memory:');
  const clients = createServiceClients(config, silentLogger);
  const auth = createAuthorizer(config, clients, silentLogger);
  const engine = createRunEngine(config, clients, store.runs, silentLogger, { auth });
  return {
    user: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020', ...user },
    conversation: { id: 'conv-1', type: 'personal' },
    config,
    auth,
    registry,
    workflow: { engine, runs: store.runs, now: Date.now, cards: new RunCardWriter({ runs: store.runs, models: config.mlops.models, now: Date.now }) },
  };
}
