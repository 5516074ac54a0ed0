/**
 * `npm run import-state -- <sqlite file>`: copies a SQLite state file into the Azure table that
 * STATE_STORE names (azure-table:…), with the bot's own credential. Run it once, with the bot
 * stopped, when switching (docs/deploy-azure.md); running it again skips the runs already copied.
 */
import { createServiceClients } from '../services/clients';
import { ConfigError, loadConfig } from '../services/config/config';
import { createLogger } from '../services/logger';
import { AzureTableStore } from '../services/store/azure-table/azure-table.store';
import { importState } from '../services/store/import-state';
import { SqliteStore } from '../services/store/sqlite.store';

async function main(file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write('usage: npm run import-state -- <path of the SQLite state file>\n');
    return 2;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const s = config.stateStore;
  if (s.kind !== 'azure-table') {
    process.stderr.write('STATE_STORE must name the Azure table to copy into (azure-table:<endpoint> or azure-table:<connection string>); see docs/scale-out.md\n');
    return 2;
  }
  const logger = createLogger(config.logLevel, { app: 'mlops-chatops-import' }, undefined, config.secrets);
  const { credential } = createServiceClients(config, logger);
  const from = new SqliteStore(file);
  const to = await AzureTableStore.open({ target: { table: s.table, ...(s.connectionString ? { connectionString: s.connectionString } : { endpoint: s.endpoint ?? '' }) }, ...(s.connectionString ? {} : { credential }) });
  try {
    const n = await importState(from, to, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`copied ${n.runs} runs (${n.skippedRuns} were there already), ${n.announcements} undelivered announcements (+${n.parkedAnnouncements} parked), ${n.auditLines} audit lines, ${n.subscriptions} subscriptions, ${n.conversations} conversations, ${n.schedules} schedules, ${n.watchReports} watch reports (${n.watchMessages} cards, ${n.watchRetries} retries, ${n.watchCursors} poll cursors), ${n.reminders} reminder marks into table ${s.table}\n`);
    return 0;
  } finally {
    await from.close();
  }
}

if (require.main === module) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
