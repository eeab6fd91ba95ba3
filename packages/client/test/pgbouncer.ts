import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server-procs.ts';

/** Debian's PgBouncer (package pgbouncer, installed by scripts/ensure-services.sh). */
export const PGBOUNCER_BIN = process.env.FERRY_PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/** A private PgBouncer in transaction mode in front of a PostgreSQL server, on a free port. */
export interface PgBouncer {
  readonly port: number;
  /** The URL of `database` through the pooler. */
  url(database: string): string;
  /** `SHOW STATS` from the admin console: transactions and queries served per database. */
  stats(database: string): Promise<{ xacts: number; queries: number }>;
  /** Stops it (immediate shutdown) and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer with a generated configuration: every database of `target` (a `*` entry), pool
 * mode transaction, trust authentication for `postgres`, and `connect_query` setting what the
 * Ferry server sends as startup options when it connects directly (see docs/scaling.md). PgBouncer
 * refuses to run as root: under root it runs as `nobody`.
 */
export async function startPgBouncer(target: { host: string; port: number }): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER_BIN)) {
    throw new Error(
      `no PgBouncer at ${PGBOUNCER_BIN}: run scripts/ensure-services.sh (apt package pgbouncer)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pgbouncer-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'users.txt');
  await writeFile(users, '"postgres" ""\n', { mode: 0o644 });
  await writeFile(
    ini,
    [
      '[databases]',
      `* = host=${target.host} port=${target.port} connect_query='SET enable_bitmapscan = off'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'admin_users = postgres',
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      // The pg driver sends extra_float_digits at startup; PgBouncer would refuse the connection.
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = userInfo().uid === 0;
  const child = spawn(PGBOUNCER_BIN, [ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  await waitForListening(child, () => log, port);

  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer`,
    });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stats: (database) =>
      admin(async (c) => {
        const r = await c.query<{
          database: string;
          total_xact_count: string;
          total_query_count: string;
        }>('SHOW STATS');
        const row = r.rows.find((x) => x.database === database);
        return {
          xacts: Number(row?.total_xact_count ?? 0),
          queries: Number(row?.total_query_count ?? 0),
        };
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForListening(child: ChildProcess, log: () => string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PgBouncer did not listen within 20 s:\n${log()}`));
    }, 20_000);
    const poll = setInterval(() => {
      if (log().includes(`listening on 127.0.0.1:${port}`)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`PgBouncer exited (${code ?? signal}) before listening:\n${log()}`));
    });
  });
}
