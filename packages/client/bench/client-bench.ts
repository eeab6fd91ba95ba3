/**
 * `npm run bench`: the client engine against the real server on real PostgreSQL over loopback.
 * The server runs in a child process (so client and server each get a core); PostgreSQL from
 * DATABASE_URL (default local). Prints a Markdown section for docs/benchmarks.md.
 *
 * BENCH_COMPRESS=0 runs the engines without compression (as they run against a loopback server
 * by default); otherwise they compress as against a remote one (`FerryOptions.compress`), which
 * is what the bytes-on-the-wire figures are about. BENCH_ONLY=wire runs only the two sync
 * sections that count bytes, BENCH_ONLY=converge only the 10 × 1 000 one. BENCH_TRACE=1 prints
 * each request's start and end (the first sync's; the 10 × 1 000's, devices in this thread).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import {
  HlcClock,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  hlcNode,
  uuidv7,
  type Mutation,
  ferrySchema,
  type ferryTables,
} from '@ferry/protocol';
import { createTestDatabase } from '@ferry/server/testing';
import {
  fetchHttp,
  memoryTokenStore,
  openFerry,
  precompiledValidator,
  type Ferry,
  type HttpFn,
} from '../src/index.ts';
import { compiledValidator, openNodeDriver } from '../src/node/index.ts';
import { protocolChecks } from '../src/precompiled/index.ts';
import pg from 'pg';
import { countingProxy, type CountingProxy } from './wire.ts';
import type { EngineSyncReport, EngineWorkerData } from './engine-worker.ts';
import { cpuBetween, cpuSeconds, databaseCpuSeconds } from '../../server/bench/proc.ts';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ferry-client-bench-'));
let dbCounter = 0;
const dbPath = (): string => join(work, `c${++dbCounter}.db`);
const PASSWORD = 'correct horse battery';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

async function startChildServer(dbUrl: string): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_SERVER_PROF=DIR: a V8 CPU profile of the server process, written to DIR when it stops.
  const prof = process.env.BENCH_SERVER_PROF;
  const args = [
    '--conditions=ferry-source',
    '--import',
    'tsx',
    join(here, 'server-child.ts'),
    dbUrl,
  ];
  const child = spawn(
    process.execPath,
    prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, ...args] : args,
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const rl = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    rl.once('line', (l) => resolve((JSON.parse(l) as { url: string }).url));
    child.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
  });
  return { url, child };
}

/** Milliseconds spent waiting for HTTP responses, by every engine of this benchmark. */
let httpWaitMs = 0;
/** HTTP requests made by every engine of this benchmark. */
let httpRequests = 0;
/** BENCH_TRACE=1: each request's start and end (ms) during the first sync, printed after it. */
let trace: [number, number][] | null = null;
const timedHttp: HttpFn = Object.assign(
  async (req: Parameters<HttpFn>[0]) => {
    httpRequests++;
    const t = performance.now();
    try {
      return await fetchHttp(req);
    } finally {
      httpWaitMs += performance.now() - t;
      trace?.push([t, performance.now()]);
    }
  },
  { codings: fetchHttp.codings },
);
const COMPRESS = process.env.BENCH_COMPRESS !== '0';
const WIRE_ONLY = process.env.BENCH_ONLY === 'wire' || process.env.BENCH_ONLY === 'converge';
/** BENCH_ONLY=converge: only the 10 × 1 000 section. */
const CONVERGE_ONLY = process.env.BENCH_ONLY === 'converge';
/**
 * The ten engines of the 10 × 1 000 section share this thread unless BENCH_ENGINES=workers (each
 * in a worker thread of its own). On this 2-core machine the workers are slower, not faster: ten
 * isolates each compile the engine's code again (about twice the engines' CPU), and the devices
 * spend most of the section waiting for the server, whose pushes of one user run one at a time.
 */
const SHARED_ENGINES = process.env.BENCH_ENGINES !== 'workers';

async function engine(
  server: string,
  user: string,
  signup = false,
  sync: 'FULL' | 'NORMAL' = 'FULL',
): Promise<Ferry<typeof ferryTables>> {
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(dbPath(), { synchronous: sync }),
    tokenStore: memoryTokenStore(),
    http: timedHttp,
    compress: COMPRESS,
    // The CLI's checks (packages/cli/src/context.ts), not the interpreter's: ~2 µs a pulled row less.
    validator: precompiledValidator(protocolChecks, compiledValidator),
  });
  if (signup) await f.signup(server, user, PASSWORD);
  else await f.login(server, user, PASSWORD);
  return f;
}

/** Local write latency: create and update, each one transaction with its outbox entry. */
async function writeLatency(
  sync: 'FULL' | 'NORMAL',
  n: number,
): Promise<{ create: number[]; update: number[] }> {
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(dbPath(), { synchronous: sync }),
    tokenStore: memoryTokenStore(),
  });
  const create: number[] = [];
  const update: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    ids.push(
      (
        await f.tables.notes.create({
          title: `note ${i}`,
          content: 'some content of a typical note '.repeat(8),
        })
      ).id,
    );
    create.push(performance.now() - t);
  }
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f.tables.notes.update(ids[i]!, { content: `edited ${i}` });
    update.push(performance.now() - t);
  }
  await f.close();
  return { create, update };
}

/**
 * Importing 10 000 notes locally: `notes.createMany` (one transaction) against the same notes
 * created one call at a time (one transaction and one fsync each; 1 000 of them, scaled up).
 * Returns wall and CPU milliseconds (this process: the engine and SQLite run in it).
 */
async function importCost(): Promise<{
  batch: { wall: number; cpu: number }[];
  oneByOne: { wall: number; cpu: number };
}> {
  const notes = Array.from({ length: 10_000 }, (_, i) => ({
    title: `imported ${i}`,
    content: 'some content of a typical note '.repeat(8),
  }));
  const timed = async (fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
  const batch: { wall: number; cpu: number }[] = [];
  for (let run = 0; run < 3; run++) {
    const f = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(dbPath()),
      tokenStore: memoryTokenStore(),
    });
    batch.push(await timed(() => f.tables.notes.createMany(notes)));
    await f.close();
  }
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(dbPath()),
    tokenStore: memoryTokenStore(),
  });
  const one = await timed(async () => {
    for (const n of notes.slice(0, 1000)) await f.tables.notes.create(n);
  });
  await f.close();
  return { batch, oneByOne: { wall: one.wall * 10, cpu: one.cpu * 10 } };
}

/** Pushes notes straight over HTTP (a device without a local database), to seed big accounts fast. */
async function seedOverHttp(server: string, token: string, count: number): Promise<string[]> {
  const clientId = uuidv7();
  const clock = new HlcClock(hlcNode(clientId));
  let seq = 0;
  const ids: string[] = [];
  for (let done = 0; done < count;) {
    const batch: Mutation[] = [];
    for (; batch.length < 500 && done < count; done++) {
      const id = uuidv7();
      ids.push(id);
      const now = new Date().toISOString();
      batch.push({
        seq: ++seq,
        table: 'notes',
        id,
        op: 'upsert',
        fields: {
          title: `seed ${done}`,
          content: `content of seeded note ${done}`,
          created_at: now,
          updated_at: now,
        },
        hlc: clock.now(),
        baseVersion: null,
      });
    }
    const res = await fetchHttp({
      method: 'POST',
      url: `${server}/v1/sync`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        protocol: PROTOCOL_VERSION,
        clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor: '999999999999',
        mutations: batch,
        pullLimit: 1,
      }),
    });
    if (res.status !== 200) throw new Error(`seed failed: ${res.status} ${res.body.slice(0, 200)}`);
  }
  return ids;
}

async function analyze(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

/**
 * CPU seconds spent from now until `stop()`: this process (the engines), the server's processes
 * (tsx's wrapper and the node running the server) and the PostgreSQL backends of the database.
 */
function cpuMeter(
  serverPids: number[],
  dbName: string,
): () => {
  client: number;
  server: number;
  postgres: number;
} {
  const server = (): number => serverPids.reduce((a, p) => a + (cpuSeconds(p) || 0), 0);
  const c0 = process.cpuUsage();
  const s0 = server();
  const p0 = databaseCpuSeconds(dbName);
  return () => {
    const c = process.cpuUsage(c0);
    return {
      client: (c.user + c.system) / 1e6,
      server: server() - s0,
      postgres: cpuBetween(p0, databaseCpuSeconds(dbName)),
    };
  };
}

/** The process ids under `pid` (its children, theirs, …) and itself. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(' ').map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

const cpuLine = (
  c: { client: number; server: number; postgres: number },
  per: number,
  unit: string,
): string =>
  `CPU per ${unit}: bench process (engines, proxy) ${((c.client / per) * 1e6).toFixed(1)} µs, server ${((c.server / per) * 1e6).toFixed(1)} µs, PostgreSQL ${((c.postgres / per) * 1e6).toFixed(1)} µs (totals ${c.client.toFixed(2)} / ${c.server.toFixed(2)} / ${c.postgres.toFixed(2)} s)`;

async function count(f: Ferry<typeof ferryTables>): Promise<number> {
  return (await f.tables.notes.list({ deleted: true })).length;
}

/** What the 10 × 1 000 section measured. */
interface Convergence {
  seconds: number;
  rounds: number;
  roundSeconds: number[];
  requests: number;
  cpu: { client: number; server: number; postgres: number };
}

/** A device of the 10 × 1 000 section: one sync, answering the notes it then holds. */
interface Device {
  sync(): Promise<number>;
  close(): Promise<void>;
}

/** A device in this thread (the default). */
async function sharedDevice(server: string, user: string, i: number): Promise<Device> {
  const f = await engine(server, user, i === 0);
  for (let k = 0; k < 1000; k++)
    await f.tables.notes.create({
      title: `client ${i} note ${k}`,
      content: `written offline by client ${i}`,
    });
  return {
    sync: async () => {
      await f.sync();
      return f.tables.notes.count({ deleted: true });
    },
    close: () => f.close(),
  };
}

/** A device in a worker thread of its own (engine-worker.ts). */
async function workerDevice(server: string, user: string, i: number): Promise<Device> {
  const data: EngineWorkerData = {
    server,
    user,
    password: PASSWORD,
    signup: i === 0,
    index: i,
    notes: 1000,
    dbPath: dbPath(),
    compress: COMPRESS,
  };
  const w = new Worker(new URL('./engine-worker-boot.mjs', import.meta.url), {
    workerData: data,
    // The workspace's source condition, as this process has it (the boot file adds tsx).
    execArgv: ['--conditions=ferry-source'],
  });
  type Reply = EngineSyncReport | { ready: true } | { error: string };
  const next = (): Promise<Reply> =>
    new Promise((resolve, reject) => {
      w.once('message', (m: Reply) =>
        'error' in m ? reject(new Error(`device ${i}: ${m.error}`)) : resolve(m),
      );
      w.once('error', reject);
    });
  await next();
  return {
    sync: async () => {
      const reply = next();
      w.postMessage({ op: 'sync' });
      const r = (await reply) as EngineSyncReport;
      httpRequests += r.requests;
      return r.count;
    },
    close: async () => {
      const gone = new Promise((r) => w.once('exit', r));
      w.postMessage({ op: 'close' });
      await gone;
    },
  };
}

/**
 * 10 devices write 1 000 notes each offline, then all sync at once, round after round, until
 * every one holds all 10 000. The CPU meter covers this process's every thread.
 */
async function converge(
  proxy: CountingProxy,
  serverPids: number[],
  dbName: string,
): Promise<Convergence> {
  const user = `bench-${Date.now()}@example.com`;
  const open = SHARED_ENGINES ? sharedDevice : workerDevice;
  // The first signs the user up; the others sign in, concurrently.
  const first = await open(proxy.url, user, 0);
  const devices = [
    first,
    ...(await Promise.all(Array.from({ length: 9 }, (_, i) => open(proxy.url, user, i + 1)))),
  ];
  proxy.reset();
  httpRequests = 0;
  const meter = cpuMeter(serverPids, dbName);
  if (process.env.BENCH_TRACE === '1') trace = [];
  const t0 = performance.now();
  const roundSeconds: number[] = [];
  for (;;) {
    const r0 = performance.now();
    const counts = await Promise.all(devices.map((d) => d.sync()));
    roundSeconds.push((performance.now() - r0) / 1000);
    if (counts.every((n) => n === 10_000)) break;
    if (roundSeconds.length > 20) throw new Error(`not converged: ${counts.join(',')}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter();
  // (Devices in this thread only: a worker's requests are not traced.)
  for (const [a, b] of trace ?? [])
    console.error(`request ${(a - t0).toFixed(0)} → ${(b - t0).toFixed(0)} ms`);
  trace = null;
  for (const d of devices) await d.close();
  return { seconds, rounds: roundSeconds.length, roundSeconds, requests: httpRequests, cpu };
}

/** Sections 3 and 4: the first sync of a 100 000-note account, then one change into big and small clients. */
async function largeAccount(
  serverUrl: string,
  proxy: CountingProxy,
  serverPids: number[],
  dbName: string,
  dbUrl: string,
  out: (s: string) => void,
): Promise<void> {
  // 3. First sync of a 100 000-note account into an empty client.
  const big = `big-${Date.now()}@example.com`;
  const seeder = await engine(serverUrl, big, true, 'NORMAL');
  const token = (await seeder.connection())!.token;
  const seedStart = performance.now();
  const seeded = await seedOverHttp(serverUrl, token, 100_000);
  const seedSecs = (performance.now() - seedStart) / 1000;
  // Fresh statistics, as autovacuum would have them within a minute on a live server: with the
  // statistics of an empty table, the server's pull query reads every row above the cursor.
  await analyze(dbUrl);
  const fresh = await engine(proxy.url, big);
  proxy.reset();
  httpWaitMs = 0;
  httpRequests = 0;
  const firstMeter = cpuMeter(serverPids, dbName);
  if (process.env.BENCH_TRACE === '1') trace = [];
  const t1 = performance.now();
  const first = await fresh.sync();
  const firstSecs = (performance.now() - t1) / 1000;
  for (const [a, b] of trace ?? [])
    console.error(`request ${(a - t1).toFixed(0)} → ${(b - t1).toFixed(0)} ms`);
  trace = null;
  const firstCpu = firstMeter();
  const firstRequests = httpRequests;
  const firstWire = proxy.bytes();
  const firstHttp = httpWaitMs / 1000;
  if (first.pulled !== 100_000 || (await count(fresh)) !== 100_000)
    throw new Error(`first sync pulled ${first.pulled}`);
  out('### First sync of a 100 000-note account into an empty client');
  out('');
  out(
    `- **${firstSecs.toFixed(2)} s**, **${Math.round(100_000 / firstSecs).toLocaleString('en-US')} notes/s** (${((firstWire.up + firstWire.down) / 1e6).toFixed(1)} MB on the wire${COMPRESS ? ', compressing' : ', no compression'}: ${(firstWire.down / 100_000).toFixed(0)} B down per note; seeding the account took ${seedSecs.toFixed(1)} s)`,
  );
  out(
    `- ${firstRequests} requests; time spent waiting for responses (overlaps the engine's work while a page is prefetched): ${firstHttp.toFixed(2)} s`,
  );
  out(`- ${cpuLine(firstCpu, 100_000, 'note')}`);
  out('');

  if (!WIRE_ONLY) {
    // 4. One change synced into a client that holds 100 000 notes (and, for comparison, 1 000).
    const small = `small-${Date.now()}@example.com`;
    const smallSeeder = await engine(serverUrl, small, true, 'NORMAL');
    const smallIds = await seedOverHttp(serverUrl, (await smallSeeder.connection())!.token, 1000);
    const smallClient = await engine(serverUrl, small);
    await smallClient.sync();
    const oneChange = async (
      client: Ferry<typeof ferryTables>,
      other: Ferry<typeof ferryTables>,
      ids: string[],
    ): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        await other.tables.notes.update(ids[(i * 7919) % ids.length]!, {
          content: `changed ${i}`,
        });
        await other.sync();
        const t = performance.now();
        const r = await client.sync();
        times.push(performance.now() - t);
        if (r.pulled !== 1) throw new Error(`expected 1 pulled row, got ${r.pulled}`);
      }
      return times;
    };
    // The seeders must hold the rows to edit them: give each a full copy first.
    await seeder.sync();
    await smallSeeder.sync();
    await fresh.sync();
    const bigTimes = await oneChange(fresh, seeder, seeded);
    const smallTimes = await oneChange(smallClient, smallSeeder, smallIds);
    out('### One change synced into a client that already holds many notes');
    out('');
    out('| notes held | sync() p50 | sync() p90 |');
    out('|---|---|---|');
    out(`| 100 000 | ${ms(pct(bigTimes, 50))} | ${ms(pct(bigTimes, 90))} |`);
    out(`| 1 000 | ${ms(pct(smallTimes, 50))} | ${ms(pct(smallTimes, 90))} |`);
    out('');
    out(
      '(One `POST /v1/sync` round trip that pulls one row and applies it in one local transaction, fsync included.)',
    );
    await smallSeeder.close();
    await smallClient.close();
  }
  for (const f of [seeder, fresh]) await f.close();
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const out = (s: string): void => {
    lines.push(s);
    console.log(s);
  };
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out('## Client');
  out('');
  out(
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}; PostgreSQL on loopback; the server in a child process; SQLite via better-sqlite3 (WAL). Load average when it started: ${loadavg()[0]!.toFixed(1)} (other work shares these cores). Run: \`npm run bench\`.`,
  );
  out('');

  if (!WIRE_ONLY) {
    // 1. Local write latency.
    const full = await writeLatency('FULL', 1000);
    const normal = await writeLatency('NORMAL', 1000);
    out('### Local write latency (one transaction: row + outbox entry + HLC)');
    out('');
    out('| durability | create p50 | create p99 | update p50 | update p99 |');
    out('|---|---|---|---|---|');
    out(
      `| synchronous=FULL (default: survives a power cut) | ${ms(pct(full.create, 50))} | ${ms(pct(full.create, 99))} | ${ms(pct(full.update, 50))} | ${ms(pct(full.update, 99))} |`,
    );
    out(
      `| synchronous=NORMAL (reference: engine cost without the fsync) | ${ms(pct(normal.create, 50))} | ${ms(pct(normal.create, 99))} | ${ms(pct(normal.update, 50))} | ${ms(pct(normal.update, 99))} |`,
    );
    out('');

    // 1b. Importing 10 000 notes locally.
    const imp = await importCost();
    const best = imp.batch.reduce((a, b) => (b.wall < a.wall ? b : a));
    out('### Importing 10 000 notes locally (`synchronous=FULL`)');
    out('');
    out('| how | wall | CPU (this process) |');
    out('|---|---|---|');
    out(
      `| \`notes.createMany\` (one transaction), best of 3 | ${ms(best.wall)} | ${ms(best.cpu)} |`,
    );
    out(
      `| — all 3 runs | ${imp.batch.map((r) => ms(r.wall)).join(', ')} | ${imp.batch.map((r) => ms(r.cpu)).join(', ')} |`,
    );
    out(
      `| \`notes.create\` one call at a time (1 000 measured, × 10) | ${ms(imp.oneByOne.wall)} | ${ms(imp.oneByOne.cpu)} |`,
    );
    out('');
  }

  const db = await createTestDatabase();
  const { url: serverUrl, child } = await startChildServer(db.url);
  const proxy = await countingProxy(serverUrl);
  const serverPids = processTree(child.pid!);
  const dbName = new URL(db.url).pathname.slice(1);
  if (process.env.BENCH_TRACE === '1') console.error(`database ${dbName}`);
  try {
    // 2. 10 clients x 1000 notes offline, then all sync.
    const c = await converge(proxy, serverPids, dbName);
    const wire = proxy.bytes();
    out('### 10 clients × 1 000 notes written offline, then all sync');
    out('');
    out(
      `- converged (every client holds all 10 000 notes): **${c.seconds.toFixed(2)} s** in ${c.rounds} concurrent sync rounds (${c.roundSeconds.map((s) => s.toFixed(2)).join(' + ')} s), ${c.requests} requests; ${SHARED_ENGINES ? "the ten engines share the bench process's thread" : 'each engine in a worker thread of its own (BENCH_ENGINES=workers)'}`,
    );
    out(`- ${cpuLine(c.cpu, 10_000, 'note pushed')}`);
    out(
      `- bytes on the wire (HTTP, both directions, all clients${COMPRESS ? ', compressing' : ', no compression'}): ${(wire.up / 1e6).toFixed(2)} MB up + ${(wire.down / 1e6).toFixed(2)} MB down = **${((wire.up + wire.down) / 1e6).toFixed(2)} MB**; ${(wire.down / 100_000).toFixed(0)} B down per note a client ends with (10 × 10 000)`,
    );
    out('');
    if (!CONVERGE_ONLY) await largeAccount(serverUrl, proxy, serverPids, dbName, db.url, out);
  } finally {
    await proxy.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
  if (process.env.BENCH_OUT) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.BENCH_OUT, `${lines.join('\n')}\n`);
  }
}

await main();
