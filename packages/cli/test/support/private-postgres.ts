import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of a test's own (initdb into a temporary directory, its own port), for
 * tests that crash PostgreSQL: the shared server on 5432 is never touched. When the test runs as
 * root, PostgreSQL (which refuses to run as root) runs as the `postgres` OS user, which owns the
 * directory.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust auth, loopback only). */
  readonly adminUrl: string;
  /** `pg_ctl stop -m immediate`: every server process is killed at once, no checkpoint; the next start runs crash recovery. */
  crash(): Promise<void>;
  /** Starts the cluster again (after `crash`) and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster and deletes its directory. */
  destroy(): Promise<void>;
}

/** Where initdb and pg_ctl are: FERRY_PG_BIN, else Debian's PostgreSQL 15. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.FERRY_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  if (!existsSync(join(dir, 'pg_ctl')))
    throw new Error(`no pg_ctl in ${dir}: set FERRY_PG_BIN to a PostgreSQL bin directory`);
  return dir;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> =>
    Number((await run('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/** initdb into a fresh temporary directory and start the cluster on a free loopback port. */
export async function startPrivatePostgres(bin = postgresBinDir()): Promise<PrivatePostgres> {
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const owner = asRoot ? await postgresUser() : null;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const pg = (tool: string, args: readonly string[]): Promise<unknown> =>
    owner
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
      : run(join(bin, tool), [...args]);

  await pg('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-instructions',
    '--no-sync',
  ]);
  const port = await freePort();
  // Unix sockets in the cluster's own directory: /var/run/postgresql may not be writable.
  // fsync = off: the tests kill processes, not the machine, so every write PostgreSQL made is in
  // the kernel's cache and crash recovery replays the same WAL; without it each restart first
  // fsyncs the whole data directory (2-3 s here). A commit is still acknowledged only after its
  // WAL record was written.
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'max_connections = 100',
    'fsync = off',
    '',
  ].join('\n');
  await writeFile(join(data, 'postgresql.auto.conf'), conf);
  if (owner) await chown(join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);
  const start = async (): Promise<void> => {
    await pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
  };
  await start();
  let stopped = false;
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    destroy: async () => {
      if (stopped) return;
      stopped = true;
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
