import { homedir } from 'node:os';
import { join } from 'node:path';
import { Limits } from '@ferry/protocol';

/** Everything the server reads from its environment, parsed once at start-up. */
export interface ServerConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** A PostgreSQL server; `undefined` starts the embedded default in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its data. */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly bodyLimitBytes: number;
  readonly maxMutationsPerRequest: number;
  /** The most changes a page holds (requests asking for more, by `pullLimit` or `pageLimit`, get this many). */
  readonly maxPullLimit: number;
  /**
   * Bytes of changes per pull page: rows are added while the JSON of those before them is under
   * this, so a page holds at least one row and is at most this plus one row.
   */
  readonly pullPageBytes: number;
  readonly maxClockDriftMs: number;
  readonly tlsCertPath: string | undefined;
  readonly tlsKeyPath: string | undefined;
  /**
   * Session cookies (the web app) are always `Secure`, not only on requests that arrived over
   * this server's own TLS: for a server behind a proxy that terminates TLS.
   */
  readonly secureCookies: boolean;
  /** Soft-deleted rows older than this are purged; 0 disables the purge. */
  readonly tombstoneRetentionMs: number;
  /** Every revision (history, merge bases) younger than this is kept; 0 keeps all for ever. */
  readonly revisionKeepAllMs: number;
  /** Past `revisionKeepAllMs`, the last revision of each day is kept until this age. */
  readonly revisionKeepDailyMs: number;
  /** How often the purge runs; 0 disables the interval. */
  readonly purgeIntervalMs: number;
  /** Failed logins per minute per (email, address) before 429. */
  readonly loginFailuresPerMinute: number;
  /** Failed logins per minute from one address, whatever the emails, before 429. */
  readonly loginFailuresPerAddressPerMinute: number;
  /** Failed logins per hour for one email from addresses it has not signed in from, before 429. */
  readonly loginFailuresPerAccountPerHour: number;
  /** A token unused for this long stops working; 0 = never. */
  readonly tokenIdleMs: number;
  /** A token older than this stops working, however often used; 0 = never. */
  readonly tokenLifetimeMs: number;
  /** SSE heartbeat comment interval. */
  readonly heartbeatMs: number;
  /** Connections in the PostgreSQL pool (of each process). */
  readonly poolSize: number;
  /** Server processes sharing the port (node:cluster); 1 = this process alone, as before. */
  readonly workers: number;
  /**
   * What `databaseUrl` points at: PostgreSQL itself (`none`), or a pooler in transaction mode
   * (PgBouncer `pool_mode = transaction`), through which nothing may rely on session state.
   */
  readonly databasePooler: DatabasePooler;
  /** A direct (session) connection for LISTEN; `undefined` = `databaseUrl`. */
  readonly listenDatabaseUrl: string | undefined;
  /**
   * Keep live tokens, users' positions and clients' seqs in memory, kept exact by LISTEN/NOTIFY,
   * so an up-to-date device's poll asks the database nothing (docs/scaling.md).
   */
  readonly idleCache: boolean;
  /**
   * How often the LISTEN connection is checked with a round trip. Nothing is answered from memory
   * unless a check sent within the last 2 × this came back: the bound on how late a revocation
   * takes effect even when the connection died silently.
   */
  readonly listenCheckMs: number;
  /** The largest body of a route that does not authenticate first (signup, login). */
  readonly preAuthBodyLimitBytes: number;
  /** Time to receive a whole request, headers and body; a slower one gets 408 and is closed. */
  readonly requestTimeoutMs: number;
  /** Time to receive a request's headers (at most `requestTimeoutMs`). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Open connections at most; more are refused at once; 0 = no cap. */
  readonly maxConnections: number;
  /** The built web app (`apps/web/dist`) served at `/`; `undefined` serves the API alone. */
  readonly webRoot: string | undefined;
}

export const DatabasePooler = { none: 'none', transaction: 'transaction' } as const;
export type DatabasePooler = (typeof DatabasePooler)[keyof typeof DatabasePooler];

export const LogLevel = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
  silent: 'silent',
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const DAY_MS = 24 * 60 * 60 * 1000;

/** The default data directory: `$XDG_DATA_HOME/ferry/server`, else `~/.local/share/ferry/server`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== ''
      ? env.XDG_DATA_HOME
      : join(homedir(), '.local', 'share');
  return join(base, 'ferry', 'server');
}

/** The configuration when nothing is set. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    host: '127.0.0.1',
    port: 8787,
    databaseUrl: undefined,
    dataDir: defaultDataDir(env),
    logLevel: 'info',
    bodyLimitBytes: Limits.defaultBodyBytes,
    maxMutationsPerRequest: Limits.maxMutationsPerRequest,
    maxPullLimit: Limits.maxPageLimit,
    pullPageBytes: 4 * 1024 * 1024,
    maxClockDriftMs: Limits.defaultMaxClockDriftMs,
    tlsCertPath: undefined,
    tlsKeyPath: undefined,
    secureCookies: false,
    tombstoneRetentionMs: 90 * DAY_MS,
    revisionKeepAllMs: 30 * DAY_MS,
    revisionKeepDailyMs: 365 * DAY_MS,
    purgeIntervalMs: 60 * 60 * 1000,
    loginFailuresPerMinute: 10,
    loginFailuresPerAddressPerMinute: 30,
    loginFailuresPerAccountPerHour: 100,
    tokenIdleMs: 30 * DAY_MS,
    tokenLifetimeMs: 365 * DAY_MS,
    heartbeatMs: 25_000,
    poolSize: 20,
    workers: 1,
    databasePooler: 'none',
    listenDatabaseUrl: undefined,
    idleCache: true,
    listenCheckMs: 500,
    webRoot: undefined,
    preAuthBodyLimitBytes: 16 * 1024,
    requestTimeoutMs: 60_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 5_000,
    idleTimeoutMs: 120_000,
    maxConnections: 10_000,
  };
}

/** One setting: its environment variable, its flag, and how to parse it. */
interface Setting {
  readonly key: keyof ServerConfig;
  readonly env: string;
  readonly flag: string;
  readonly parse: (raw: string, name: string) => unknown;
  readonly help: string;
}

function int(min: number, max: number) {
  return (raw: string, name: string): number => {
    if (!/^-?\d+$/.test(raw.trim()))
      throw new ConfigError(`${name} must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max)
      throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}
const str = (raw: string): string => raw;
const bool = (raw: string, name: string): boolean => {
  if (/^(1|true|yes)$/i.test(raw.trim())) return true;
  if (/^(0|false|no)$/i.test(raw.trim())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};
const optStr = (raw: string): string | undefined => (raw === '' ? undefined : raw);
const pooler = (raw: string, name: string): DatabasePooler => {
  if (!Object.hasOwn(DatabasePooler, raw))
    throw new ConfigError(`${name} must be one of ${Object.keys(DatabasePooler).join(', ')}`);
  return raw as DatabasePooler;
};
const level = (raw: string, name: string): LogLevel => {
  if (!Object.hasOwn(LogLevel, raw))
    throw new ConfigError(`${name} must be one of ${Object.keys(LogLevel).join(', ')}`);
  return raw as LogLevel;
};

/** Every setting, in the order the docs list them. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    env: 'PORT',
    flag: '--port',
    parse: int(0, 65535),
    help: 'TCP port (0 = any free port)',
  },
  { key: 'host', env: 'HOST', flag: '--host', parse: str, help: 'address to listen on' },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    flag: '--database-url',
    parse: optStr,
    help: 'PostgreSQL URL; unset = embedded PostgreSQL',
  },
  {
    key: 'dataDir',
    env: 'FERRY_DATA_DIR',
    flag: '--data-dir',
    parse: str,
    help: 'data directory of the embedded PostgreSQL',
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level',
    parse: level,
    help: 'fatal|error|warn|info|debug|trace|silent',
  },
  {
    key: 'bodyLimitBytes',
    env: 'FERRY_BODY_LIMIT_BYTES',
    flag: '--body-limit-bytes',
    parse: int(1024, Limits.maxBodyBytes),
    help: 'largest request body (413 above)',
  },
  {
    key: 'maxMutationsPerRequest',
    env: 'FERRY_MAX_MUTATIONS',
    flag: '--max-mutations',
    parse: int(1, Limits.maxMutationsPerRequest),
    help: 'mutations per /v1/sync request (400 above)',
  },
  {
    key: 'maxPullLimit',
    env: 'FERRY_MAX_PULL_LIMIT',
    flag: '--max-pull-limit',
    parse: int(1, Limits.maxPageLimit),
    help: 'most changes returned per /v1/sync (pullLimit, or the pageLimit extension)',
  },
  {
    key: 'pullPageBytes',
    env: 'FERRY_PULL_PAGE_BYTES',
    flag: '--pull-page-bytes',
    parse: int(1024, Limits.maxPullPageBytes),
    help: 'bytes of changes per /v1/sync page (at least one row a page)',
  },
  {
    key: 'maxClockDriftMs',
    env: 'FERRY_MAX_CLOCK_DRIFT_MS',
    flag: '--max-clock-drift-ms',
    parse: int(0, DAY_MS),
    help: 'how far ahead a client HLC may be before the server re-stamps it',
  },
  {
    key: 'tlsCertPath',
    env: 'FERRY_TLS_CERT',
    flag: '--tls-cert',
    parse: optStr,
    help: 'PEM certificate (with --tls-key: serve HTTPS)',
  },
  {
    key: 'tlsKeyPath',
    env: 'FERRY_TLS_KEY',
    flag: '--tls-key',
    parse: optStr,
    help: 'PEM private key',
  },
  {
    key: 'secureCookies',
    env: 'FERRY_SECURE_COOKIES',
    flag: '--secure-cookies',
    parse: bool,
    help: 'mark session cookies Secure on every request (TLS ends at a proxy in front)',
  },
  {
    key: 'tombstoneRetentionMs',
    env: 'FERRY_TOMBSTONE_RETENTION_MS',
    flag: '--tombstone-retention-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'purge soft-deleted rows older than this (0 = never)',
  },
  {
    key: 'revisionKeepAllMs',
    env: 'FERRY_REVISION_KEEP_ALL_MS',
    flag: '--revision-keep-all-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'keep every revision of a row younger than this (0 = every revision for ever)',
  },
  {
    key: 'revisionKeepDailyMs',
    env: 'FERRY_REVISION_KEEP_DAILY_MS',
    flag: '--revision-keep-daily-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'past --revision-keep-all-ms, keep the last revision of each day until this age',
  },
  {
    key: 'purgeIntervalMs',
    env: 'FERRY_PURGE_INTERVAL_MS',
    flag: '--purge-interval-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'how often the purge runs (0 = never)',
  },
  {
    key: 'loginFailuresPerMinute',
    env: 'FERRY_LOGIN_FAILURES_PER_MINUTE',
    flag: '--login-failures-per-minute',
    parse: int(1, 1_000_000),
    help: 'failed logins per minute per (email, address) before 429',
  },
  {
    key: 'loginFailuresPerAddressPerMinute',
    env: 'FERRY_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE',
    flag: '--login-failures-per-address-per-minute',
    parse: int(1, 1_000_000),
    help: 'failed logins per minute from one address (any emails) before 429',
  },
  {
    key: 'loginFailuresPerAccountPerHour',
    env: 'FERRY_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR',
    flag: '--login-failures-per-account-per-hour',
    parse: int(1, 1_000_000),
    help: 'failed logins per hour per email from addresses it has not signed in from, before 429',
  },
  {
    key: 'tokenIdleMs',
    env: 'FERRY_TOKEN_IDLE_MS',
    flag: '--token-idle-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'a token unused this long stops working (0 = never)',
  },
  {
    key: 'tokenLifetimeMs',
    env: 'FERRY_TOKEN_LIFETIME_MS',
    flag: '--token-lifetime-ms',
    parse: int(0, Number.MAX_SAFE_INTEGER),
    help: 'a token this old stops working, however often used (0 = never)',
  },
  {
    key: 'heartbeatMs',
    env: 'FERRY_HEARTBEAT_MS',
    flag: '--heartbeat-ms',
    parse: int(10, 25_000),
    help: 'SSE heartbeat interval',
  },
  {
    key: 'poolSize',
    env: 'FERRY_POOL_SIZE',
    flag: '--pool-size',
    parse: int(1, 1000),
    help: 'PostgreSQL connections per process',
  },
  {
    key: 'workers',
    env: 'FERRY_WORKERS',
    flag: '--workers',
    parse: int(1, 256),
    help: 'server processes sharing the port (node:cluster); 1 = one process',
  },
  {
    key: 'databasePooler',
    env: 'FERRY_DATABASE_POOLER',
    flag: '--database-pooler',
    parse: pooler,
    help: 'none|transaction: DATABASE_URL is a transaction-mode pooler (PgBouncer)',
  },
  {
    key: 'webRoot',
    env: 'FERRY_WEB_ROOT',
    flag: '--web-root',
    parse: optStr,
    help: 'directory of the built web app served at / (npm start: apps/web/dist)',
  },
  {
    key: 'listenDatabaseUrl',
    env: 'FERRY_LISTEN_DATABASE_URL',
    flag: '--listen-database-url',
    parse: optStr,
    help: 'direct PostgreSQL URL for LISTEN (default: DATABASE_URL)',
  },
  {
    key: 'idleCache',
    env: 'FERRY_IDLE_CACHE',
    flag: '--idle-cache',
    parse: bool,
    help: '1|0: answer up-to-date polls from memory kept exact by LISTEN/NOTIFY',
  },
  {
    key: 'listenCheckMs',
    env: 'FERRY_LISTEN_CHECK_MS',
    flag: '--listen-check-ms',
    parse: int(10, 60_000),
    help: 'LISTEN connection check interval; memory is trusted for 2 × this after a check',
  },
  {
    key: 'preAuthBodyLimitBytes',
    env: 'FERRY_PRE_AUTH_BODY_LIMIT_BYTES',
    flag: '--pre-auth-body-limit-bytes',
    parse: int(1024, 64 * 1024 * 1024),
    help: 'largest body of signup and login (413 above)',
  },
  {
    key: 'requestTimeoutMs',
    env: 'FERRY_REQUEST_TIMEOUT_MS',
    flag: '--request-timeout-ms',
    parse: int(1000, DAY_MS),
    help: 'time to receive a whole request, body included (408 after)',
  },
  {
    key: 'headersTimeoutMs',
    env: 'FERRY_HEADERS_TIMEOUT_MS',
    flag: '--headers-timeout-ms',
    parse: int(500, DAY_MS),
    help: 'time to receive the request headers (408 after)',
  },
  {
    key: 'keepAliveTimeoutMs',
    env: 'FERRY_KEEP_ALIVE_TIMEOUT_MS',
    flag: '--keep-alive-timeout-ms',
    parse: int(100, DAY_MS),
    help: 'idle keep-alive connections are closed after this',
  },
  {
    key: 'idleTimeoutMs',
    env: 'FERRY_IDLE_TIMEOUT_MS',
    flag: '--idle-timeout-ms',
    parse: int(0, DAY_MS),
    help: 'connections silent both ways this long are closed (0 = never)',
  },
  {
    key: 'maxConnections',
    env: 'FERRY_MAX_CONNECTIONS',
    flag: '--max-connections',
    parse: int(0, 10_000_000),
    help: 'open connections at most; more are refused (0 = no cap)',
  },
];

/** A bad setting; `main` prints it and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the configuration from the environment and command-line flags (flags win). Flags take
 * `--name value` or `--name=value`.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): ServerConfig {
  const out: Record<string, unknown> = { ...defaultConfig(env) };
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw !== undefined && raw !== '') out[s.key] = s.parse(raw, s.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new ConfigError(usage());
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const s = SETTINGS.find((x) => x.flag === flag);
    if (!s) throw new ConfigError(`unknown argument "${arg}"\n${usage()}`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    out[s.key] = s.parse(value, flag);
  }
  const config = out as unknown as ServerConfig;
  if ((config.tlsCertPath === undefined) !== (config.tlsKeyPath === undefined)) {
    throw new ConfigError('TLS needs both a certificate and a key');
  }
  checkTimeouts(config);
  checkPooler(config);
  return config;
}

/** A transaction-mode pooler cannot carry LISTEN (a session): it needs a direct URL for it. */
function checkPooler(c: ServerConfig): void {
  if (c.databasePooler !== 'transaction') return;
  if (c.databaseUrl === undefined) {
    throw new ConfigError('FERRY_DATABASE_POOLER=transaction needs DATABASE_URL (the pooler)');
  }
  if (c.listenDatabaseUrl === undefined) {
    throw new ConfigError(
      'FERRY_DATABASE_POOLER=transaction needs FERRY_LISTEN_DATABASE_URL: LISTEN needs a session, a direct connection to PostgreSQL',
    );
  }
}

/** Timeouts that only make sense in a given order. */
function checkTimeouts(c: ServerConfig): void {
  if (c.headersTimeoutMs > c.requestTimeoutMs) {
    throw new ConfigError('the headers timeout cannot exceed the request timeout');
  }
  if (c.idleTimeoutMs !== 0 && c.idleTimeoutMs <= c.heartbeatMs) {
    throw new ConfigError('the idle timeout must exceed the SSE heartbeat (or be 0)');
  }
}

/** The flags and variables, for `--help`. */
export function usage(): string {
  const lines = SETTINGS.map(
    (s) => `  ${`${s.flag} <v>`.padEnd(32)} ${s.env.padEnd(32)} ${s.help}`,
  );
  return `usage: ferry-server [flags]\n${lines.join('\n')}`;
}
