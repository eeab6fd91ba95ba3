/**
 * Ferry's server: a REST API on PostgreSQL for the app's declared tables. Start it with
 * {@link createServer} (the embedded PostgreSQL when no `databaseUrl` is given); {@link loadConfig}
 * parses the settings `npm start` reads from its environment and flags.
 *
 * @module @ferry/server
 */
export {
  loadConfig,
  defaultConfig,
  defaultDataDir,
  usage,
  ConfigError,
  SETTINGS,
  LogLevel,
  DatabasePooler,
  type ServerConfig,
} from './config.ts';
export {
  createServer,
  startServer,
  type ServedSchema,
  type StartOptions,
  type RunningServer,
  type LogStream,
} from './server.ts';
export { startCluster, wantsCluster, type ClusterLog } from './cluster.ts';
export { purgeTombstones } from './purge.ts';
export { mergeMutation, type StoredRow, type MergeInput, type MergeOutcome } from './sync/merge.ts';
export { openDatabase, type Database, type Queryable } from './db/database.ts';
export { migrate, MIGRATIONS, SERVER_TABLES } from './db/migrations.ts';
