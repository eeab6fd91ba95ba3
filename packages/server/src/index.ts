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
} from './server.ts';
export { startCluster, wantsCluster, type ClusterLog } from './cluster.ts';
export { purgeTombstones } from './purge.ts';
export { mergeMutation, type StoredRow, type MergeInput, type MergeOutcome } from './sync/merge.ts';
export { openDatabase, type Database, type Queryable } from './db/database.ts';
export { migrate, MIGRATIONS, SERVER_TABLES } from './db/migrations.ts';
