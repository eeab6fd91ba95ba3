/**
 * An empty `ferry sync` (signed in, nothing to push or pull), start to exit, and the process's
 * CPU (user + system), for one or more builds of the CLI taking turns (docs/benchmarks.md, "An
 * empty `ferry sync`"). Also `ferry ls` on a 10 000-note database with each build.
 *
 * Usage (from the repository root):
 *   npx tsx --conditions=ferry-source packages/cli/bench/sync-bench.ts [RUNS] [NAME=BUNDLE ...]
 *
 * Each NAME=FILE is a script to run with node (e.g. `before=/path/ferry.mjs`, a bundle of an
 * older build), besides the package as installed (`installedCli`: bin/ferry.js over
 * dist/ferry.cjs, built first, with its code cache) and the same bundle through Node's own
 * loader (`node dist/ferry.cjs`, no code cache). A file outside the package must sit where
 * `better-sqlite3` resolves (e.g. under packages/cli/node_modules/.cache/). The server runs from
 * its sources on a new database of DATABASE_URL (default: the local PostgreSQL), on loopback.
 * 2 warm-up rounds, then RUNS rounds (default 20) in which every build runs each command once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { installedCli } from './installed.ts';
import { time, timeRounds, type Sample } from './timing.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cliDir = join(root, 'packages', 'cli');
const args = process.argv.slice(2);
const runs = Number(args[0] && !args[0].includes('=') ? args.shift() : 20);
const builds = args.map((a) => a.split('=') as [string, string]);
builds.push(['installed', installedCli()]);
builds.push(['no code cache', join(cliDir, 'dist', 'ferry.cjs')]);
const NOTES = 10_000;
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server from its sources on `databaseUrl`; resolves with it and its URL once it listens. */
function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=ferry-source',
      '--import',
      'tsx',
      join(root, 'packages', 'server', 'src', 'main.ts'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' } },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (http:\/\/[^"\s]+)/.exec(line);
      if (m) resolve({ child, url: m[1]! });
    });
  });
}

const dbName = `ferry_sync_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const databaseUrl = Object.assign(new URL(baseUrl), { pathname: `/${dbName}` }).href;
const work = mkdtempSync(join(tmpdir(), 'ferry-sync-bench-'));
const server = await startServer(databaseUrl);
try {
  const [, first] = builds[0]!;
  const run = (bundle: string, a: string[], env: Record<string, string> = {}): Sample =>
    time([process.execPath, bundle, ...a], env);
  const db = join(work, 'device.db');
  run(first, ['signup', '--db', db, '--server', server.url, '--email', 'bench@example.test'], {
    FERRY_PASSWORD: 'a long enough password',
  });
  run(first, ['sync', '--db', db]);
  const notes = join(work, 'notes.db');
  const seed = join(work, 'notes.json');
  writeFileSync(
    seed,
    JSON.stringify(
      Array.from({ length: NOTES }, (_, i) => ({ title: `note ${i}`, content: `body ${i}` })),
    ),
  );
  run(first, ['import', seed, '--db', notes]);
  run(first, ['ls', '--db', notes]);

  const commands: [string, string[]][] = [
    ['sync (nothing to sync)', ['sync', '--db', db]],
    [`ls (${NOTES} notes)`, ['ls', '--db', notes]],
  ];
  timeRounds({
    runs,
    commands,
    variants: builds,
    name: ([name]) => name,
    run: ([, bundle], a) => run(bundle, a),
    title: 'build',
    withMedian: true,
  });
} finally {
  server.child.kill();
  await new Promise((resolve) => server.child.once('exit', resolve));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.end();
  rmSync(work, { recursive: true, force: true });
}
