import type { AddressInfo } from 'node:net';
import {
  HlcClock,
  checkTables,
  hlcNode,
  withTextConflicts,
  type SchemaMigration,
  type TableDecl,
} from '@ferry/protocol';
import { defaultConfig, type ServerConfig } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded.ts';
import { SERVER_TABLES, migrate, serverId } from './db/migrations.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { PokeHub } from './events/poke-hub.ts';
import { TokenCache } from './auth/token-cache.ts';
import { PositionCache } from './sync/position-cache.ts';
import { buildApp } from './http/app.ts';
import { Metrics } from './http/metrics.ts';
import { tableSql } from './sync/rows.ts';
import { servedViews } from './sync/served.ts';
import { purgeTombstones } from './purge.ts';
import { purgeRevisions } from './purge-revisions.ts';

/** The app schema a server serves: the same declarations the app's devices open the engine with. */
export interface ServedSchema {
  /** The app's synced tables (`defineTable`); the engine's `text_conflicts` is added when a field merges text. */
  readonly tables: readonly TableDecl[];
  /** The app's current schema version: the newest a client may sync with. */
  readonly schemaVersion: number;
  /** The oldest schema version still served (default 1); older clients are answered 426. */
  readonly minSchemaVersion?: number;
  /**
   * How stored fields or tables the declarations no longer have were dropped or renamed. Without
   * one, starting on a database that has such a field or table fails, naming it.
   */
  readonly migrations?: readonly SchemaMigration[];
}

/** Where the server's log lines (pino's JSON, one a line) go instead of stdout. */
export interface LogStream {
  write(line: string): void;
}

/**
 * What `createServer` accepts: the app's schema, any part of the configuration, and where the
 * log goes (stdout unless `logStream`).
 */
export type StartOptions = Partial<ServerConfig> &
  ServedSchema & { readonly logStream?: LogStream };

/** A running server. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT` (https when TLS is configured). */
  readonly url: string;
  /** The PostgreSQL URL in use (the embedded one when no databaseUrl was given). */
  readonly databaseUrl: string;
  /** Stops accepting, lets in-flight requests finish, closes the database (and the embedded PostgreSQL). */
  close(): Promise<void>;
}

/**
 * Starts the server for an app: checks its table declarations (a mistake throws
 * `TableDeclError` naming the table and the field, before anything starts), then the database
 * (embedded PostgreSQL when no `databaseUrl`), migrations, the poke listener, the HTTP API.
 * Unset options take their defaults, except `logLevel`, which is `warn` here so tests stay quiet
 * (`main.ts` passes the parsed configuration, default `info`).
 */
export async function createServer(options: StartOptions): Promise<RunningServer> {
  const {
    tables: requested,
    schemaVersion,
    minSchemaVersion = 1,
    migrations: appMigrations = [],
    logStream,
    ...rest
  } = options;
  checkTables(requested, { schemaVersion, reserved: SERVER_TABLES });
  if (
    !Number.isSafeInteger(minSchemaVersion) ||
    minSchemaVersion < 1 ||
    minSchemaVersion > schemaVersion
  )
    throw new Error(
      `minSchemaVersion must be an integer from 1 to schemaVersion (${schemaVersion}), not ${minSchemaVersion}`,
    );
  const tableList = withTextConflicts(requested);
  const config: ServerConfig = { ...defaultConfig(), logLevel: 'warn', ...stripUndefined(rest) };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let databaseUrl = config.databaseUrl;
    let embedded: EmbeddedPostgresHandle | undefined;
    if (databaseUrl === undefined) {
      embedded = await startEmbeddedPostgres(config.dataDir, () => undefined);
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
    }
    const db: Database = openDatabase(databaseUrl, config.poolSize, {
      pooler: config.databasePooler,
      listenUrl: config.listenDatabaseUrl,
    });
    cleanups.push(() => db.close());
    await migrate(db, tableList, Infinity, appMigrations);
    const clock = new HlcClock(hlcNode(await serverId(db)));
    let warn: (msg: string, err?: unknown) => void = () => undefined;
    const hub = new PokeHub(db, (msg, err) => warn(msg, err), config.listenCheckMs);
    await hub.start();
    cleanups.push(() => hub.close());
    const sqls = tableList.map(tableSql);
    const tokens = new TokenCache(db, config, hub, config.idleCache);
    const positions = new PositionCache(db, hub, config.idleCache);
    const metrics = new Metrics(
      () => ({
        ferry_sse_streams: hub.size(),
        ferry_listen_trusted: hub.trusted() ? 1 : 0,
        ferry_cached_tokens: tokens.size,
        ferry_cached_users: positions.size,
      }),
      () => ({
        ferry_db_queries_total: db.queries(),
        ferry_token_cache_hits_total: tokens.hits,
        ferry_token_cache_misses_total: tokens.misses,
        ferry_position_cache_hits_total: positions.hits,
        ferry_position_cache_misses_total: positions.misses,
      }),
    );
    const app = await buildApp({
      config,
      ...(logStream === undefined ? {} : { logStream }),
      db,
      tokens,
      positions,
      tables: new Map(sqls.map((s) => [s.table.name, s])),
      schema: { min: minSchemaVersion, max: schemaVersion },
      views: servedViews(tableList, minSchemaVersion, schemaVersion),
      clock,
      hub,
      metrics,
      throttle: new LoginThrottle(db, {
        perPairPerMinute: config.loginFailuresPerMinute,
        perAddressPerMinute: config.loginFailuresPerAddressPerMinute,
        perAccountPerHour: config.loginFailuresPerAccountPerHour,
      }),
      now: Date.now,
    });
    warn = (msg, err) => app.log.warn({ err }, msg);
    cleanups.push(() => app.close());
    if (config.databasePooler === 'transaction') await checkPoolerSettings(db, warn);

    let purgeTimer: NodeJS.Timeout | undefined;
    const purging = config.tombstoneRetentionMs > 0 || config.revisionKeepAllMs > 0;
    if (purging && config.purgeIntervalMs > 0) {
      const retention = {
        keepAllMs: config.revisionKeepAllMs,
        keepDailyMs: config.revisionKeepDailyMs,
      };
      purgeTimer = setInterval(() => {
        if (config.tombstoneRetentionMs > 0)
          purgeTombstones(db, tableList, config.tombstoneRetentionMs).then(
            (n) => n > 0 && app.log.info({ purged: n }, 'purged tombstones'),
            (err: unknown) => app.log.warn({ err }, 'tombstone purge failed'),
          );
        purgeRevisions(db, tableList, retention).then(
          (n) => n > 0 && app.log.info({ revisions: n }, 'thinned revisions'),
          (err: unknown) => app.log.warn({ err }, 'revision purge failed'),
        );
      }, config.purgeIntervalMs);
      purgeTimer.unref();
      cleanups.push(() => {
        clearInterval(purgeTimer);
        return Promise.resolve();
      });
    }

    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address() as AddressInfo;
    const scheme = config.tlsCertPath !== undefined ? 'https' : 'http';
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
    let closing: Promise<void> | undefined;
    return {
      url,
      databaseUrl,
      close() {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Through a transaction-mode pooler the server cannot send its session settings (see
 * `SESSION_SETTINGS`): the pooler must (PgBouncer `connect_query`); say so when it does not.
 */
async function checkPoolerSettings(db: Database, warn: (msg: string) => void): Promise<void> {
  const [row] = await db.query<{ enable_bitmapscan: string }>('SHOW enable_bitmapscan');
  if (row?.enable_bitmapscan !== 'off') {
    warn(
      `enable_bitmapscan is on behind the pooler: set connect_query='SET enable_bitmapscan = off' in PgBouncer (or ALTER ROLE … SET), else a first sync of a freshly filled table can be quadratic (docs/scaling.md)`,
    );
  }
}

/** @deprecated the old name of `createServer`. */
export const startServer = createServer;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
