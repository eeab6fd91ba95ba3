/**
 * `npm run bench:server`: push ingest (mutations/s, batches of 500 upserts of ~1 KB notes from
 * several clients), idle `/v1/sync` (requests/s with nothing to push or pull), and a new device's
 * first sync of a large account (notes/s, MiB/s, the server's peak RSS; `large-account.ts`).
 *
 * The server runs as its own process (`src/main.ts`, as `npm start` runs it) on a fresh database
 * of the PostgreSQL at DATABASE_URL (default 127.0.0.1:5432); this process only generates load.
 * Environment: BENCH_USERS (8), BENCH_BATCHES (per user, 25), BENCH_IDLE_CONNECTIONS (32),
 * BENCH_IDLE_SECONDS (5), BENCH_IDLE_CLIENT (`raw`: the raw-socket client of raw-load.ts, one request
 * in flight per connection unless BENCH_IDLE_DEPTH says more; `node`: `node:http`'s client, the
 * generator before 2026-11-26 16:00, which used about as much CPU per poll as the server); for the large account BENCH_LARGE_BIG (notes of 1 MiB, 200),
 * BENCH_LARGE_SMALL (notes of ~1 KB, 100 000), BENCH_LARGE_PULL_LIMIT (1000),
 * BENCH_LARGE_DEVICES (1), BENCH_LARGE_LAYOUT (clustered | spread); BENCH_PULL_PAGE_BYTES sets
 * the server's FERRY_PULL_PAGE_BYTES. A part whose count is 0 is skipped. BENCH_WORKERS (1) runs
 * the server as that many processes (FERRY_WORKERS; 16 pool connections in all, split between
 * them; server CPU is the whole process tree's); BENCH_POOLER_PORT puts the server behind a
 * PgBouncer in transaction mode on that loopback port, in front of DATABASE_URL's PostgreSQL.
 * BENCH_KEEP_DATABASE=1 leaves the bench's database behind (its name is printed) for inspection.
 * BENCH_COMPACT=1 makes the ingest's requests ask for compact answers (`compact: 1`, as the Ferry
 * engine's do), which acknowledge the pushed rows instead of sending them back as v1 does.
 *
 * The ingest's PostgreSQL CPU is printed twice: every `postgres` process of the machine (other
 * sessions' included), and only the backends serving the bench's database (the cluster's WAL
 * writer and checkpointer left out); then the WAL the ingest wrote (`pg_current_wal_lsn`).
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { COMPACT_VERSION, HlcClock, hlcNode, uuidv7, type SyncResponse } from '@ferry/protocol';
import { createTestDatabase } from '../src/testing/index.ts';
import { LoadClient } from './http-load.ts';
import { RawConnection, rawPost } from './raw-load.ts';
import pg from 'pg';
import {
  cpuBetween,
  cpuSeconds,
  cpuSplit,
  databaseCpuSeconds,
  postgresCpuSeconds,
} from './proc.ts';
import { signup, syncBody } from './wire.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { describeFirstSync, firstSyncOfLargeAccount, largeAccountSizes } from './large-account.ts';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const USERS = env('BENCH_USERS', 8);
const BATCHES = env('BENCH_BATCHES', 25);
const BATCH = 500;
const IDLE_CONNECTIONS = env('BENCH_IDLE_CONNECTIONS', 32);
const IDLE_SECONDS = env('BENCH_IDLE_SECONDS', 5);
const WORKERS = env('BENCH_WORKERS', 1);
const POOLER_PORT = process.env.BENCH_POOLER_PORT;

/** CPU seconds of a process and its live children (the workers of a cluster). */
function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(' ') : []) total += cpuSeconds(Number(k));
    }
  } catch {
    // gone
  }
  return total;
}

/** The server's database settings: directly, or through the pooler at BENCH_POOLER_PORT. */
function databaseEnv(databaseUrl: string): Record<string, string> {
  if (POOLER_PORT === undefined) return { DATABASE_URL: databaseUrl };
  const pooled = new URL(databaseUrl);
  pooled.port = POOLER_PORT;
  return {
    DATABASE_URL: pooled.toString(),
    FERRY_DATABASE_POOLER: 'transaction',
    FERRY_LISTEN_DATABASE_URL: databaseUrl,
  };
}

function startServer(databaseUrl: string): Promise<ServerProcess> {
  return startServerProcess({
    env: {
      ...databaseEnv(databaseUrl),
      FERRY_WORKERS: String(WORKERS),
      FERRY_POOL_SIZE: String(Math.max(2, Math.floor(16 / WORKERS))),
      ...(process.env.BENCH_PULL_PAGE_BYTES
        ? { FERRY_PULL_PAGE_BYTES: process.env.BENCH_PULL_PAGE_BYTES }
        : {}),
    },
    nodeArgs: process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [],
    // A cluster is ready once every worker listens (the supervisor says so, then its URL).
    ready:
      WORKERS > 1
        ? /workers started[\s\S]*?listening on (http:\/\/[^\s"]+)/
        : /listening on (http:\/\/[^\s"]+)/,
  });
}

/** Prepared batches for one client: 500 new ~1 KB notes each. */
function batches(clientId: string): unknown[][] {
  const clock = new HlcClock(hlcNode(clientId));
  const filler = 'lorem ipsum dolor sit amet '.repeat(40).slice(0, 1000);
  const out: unknown[][] = [];
  let seq = 0;
  for (let b = 0; b < BATCHES; b++) {
    const muts: unknown[] = [];
    for (let i = 0; i < BATCH; i++) {
      const now = new Date().toISOString();
      muts.push({
        seq: ++seq,
        table: 'notes',
        id: uuidv7(),
        op: 'upsert',
        fields: { title: `note ${seq}`, content: filler, created_at: now, updated_at: now },
        hlc: clock.now(),
        baseVersion: null,
      });
    }
    out.push(muts);
  }
  return out;
}

/** `BENCH_COMPACT=1`: the ingest asks for compact answers, as the Ferry engine does (see the header). */
const COMPACT = process.env.BENCH_COMPACT === '1';
const compactBody = (body: string): string => `${body.slice(0, -1)},"compact":${COMPACT_VERSION}}`;

async function ingest(url: string, tokens: string[]): Promise<number> {
  const http = new LoadClient(url, tokens.length);
  const clients = tokens.map((token) => ({ token, clientId: randomUUID(), cursor: '0' }));
  const prepared = clients.map((c) => batches(c.clientId));
  const start = performance.now();
  await Promise.all(
    clients.map(async (c, ci) => {
      for (const muts of prepared[ci]!) {
        const request = syncBody(c.clientId, c.cursor, muts);
        const r = await http.post('/v1/sync', COMPACT ? compactBody(request) : request, c.token);
        if (r.status !== 200) throw new Error(`push failed: ${r.status} ${r.body.slice(0, 200)}`);
        const body = JSON.parse(r.body) as SyncResponse;
        if (body.results.some((x) => x.status !== 'applied'))
          throw new Error('a mutation was not applied');
        c.cursor = body.cursor;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  http.close();
  return (clients.length * BATCHES * BATCH) / seconds;
}

/** How the idle part generates its load: see `BENCH_IDLE_CLIENT` in the header. */
const IDLE_CLIENT = process.env.BENCH_IDLE_CLIENT ?? 'raw';
const IDLE_DEPTH = env('BENCH_IDLE_DEPTH', 1);

interface IdleRun {
  rps: number;
  p50: number;
  p99: number;
  seconds: number;
}

async function idle(
  url: string,
  tokens: string[],
  around: (run: () => Promise<void>) => Promise<void>,
): Promise<IdleRun> {
  const http = new LoadClient(url, IDLE_CONNECTIONS);
  // Each connection is a device that is up to date: it sends its cursor, nothing changed since.
  const devices = await Promise.all(
    Array.from({ length: IDLE_CONNECTIONS }, async (_, i) => {
      const token = tokens[i % tokens.length]!;
      const clientId = randomUUID();
      let cursor = '0';
      for (;;) {
        const r = JSON.parse(
          (await http.post('/v1/sync', syncBody(clientId, cursor, []), token)).body,
        ) as SyncResponse;
        cursor = r.cursor;
        if (!r.hasMore) break;
      }
      return { token, body: syncBody(clientId, cursor, []) };
    }),
  );
  const latencies: number[] = [];
  let count = 0;
  let seconds = 0;
  if (IDLE_CLIENT === 'node') {
    await around(async () => {
      const end = performance.now() + IDLE_SECONDS * 1000;
      const start = performance.now();
      await Promise.all(
        devices.map(async (d) => {
          while (performance.now() < end) {
            const t = performance.now();
            const r = await http.post('/v1/sync', d.body, d.token);
            if (r.status !== 200) throw new Error(`idle sync failed: ${r.status}`);
            latencies.push(performance.now() - t);
            count++;
          }
        }),
      );
      seconds = (performance.now() - start) / 1000;
    });
  } else {
    const conns = await Promise.all(
      devices.map((d) =>
        RawConnection.open(url, rawPost(url, '/v1/sync', d.body, d.token), IDLE_DEPTH),
      ),
    );
    await around(async () => {
      const start = performance.now();
      await Promise.all(conns.map((c) => c.run(IDLE_SECONDS)));
      seconds = (performance.now() - start) / 1000;
    });
    for (const c of conns) {
      c.close();
      count += c.answered;
      latencies.push(...c.latencies);
    }
  }
  http.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return { rps: count / seconds, p50: pct(0.5), p99: pct(0.99), seconds };
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const server = await startServer(db.url);
  try {
    const tokens = await Promise.all(Array.from({ length: USERS }, () => signup(server.url)));
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    );
    console.log(
      `server: ${WORKERS} process${WORKERS === 1 ? '' : 'es'}${POOLER_PORT === undefined ? '' : `, through PgBouncer (transaction mode) on port ${POOLER_PORT}`}`,
    );
    console.log(
      `ingest: ${USERS} users × ${BATCHES} batches × ${BATCH} upserts of ~1 KB notes, one client per user, concurrent${COMPACT ? ', compact answers' : ''}`,
    );
    const measure = async <T>(
      fn: () => Promise<T>,
    ): Promise<{ value: T; node: number; pg: number }> => {
      const n0 = treeCpuSeconds(server.pid);
      const p0 = postgresCpuSeconds();
      const value = await fn();
      return { value, node: treeCpuSeconds(server.pid) - n0, pg: postgresCpuSeconds() - p0 };
    };
    console.log(
      `load average before: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    const database = new URL(db.url).pathname.slice(1);
    const own0 = databaseCpuSeconds(database);
    const wal0 = await walLsn(db.url);
    const ing = await measure(() =>
      BATCHES > 0 ? ingest(server.url, tokens) : Promise.resolve(0),
    );
    const own = cpuBetween(own0, databaseCpuSeconds(database));
    const wal = (await walLsn(db.url)) - wal0;
    const total = USERS * BATCHES * BATCH;
    const perK = (seconds: number): string => ((seconds / total) * 1e6).toFixed(1);
    console.log(`  push ingest: ${Math.round(ing.value).toLocaleString('en-US')} mutations/s`);
    console.log(
      `    CPU per 1 000 mutations: server ${perK(ing.node)} ms, PostgreSQL ${perK(ing.pg)} ms (this database's backends ${perK(own)} ms); WAL ${(Number(wal) / total).toFixed(0)} B a mutation`,
    );
    if (IDLE_SECONDS > 0) await idleBench(server, tokens, measure);
    const sizes = largeAccountSizes();
    if (sizes.big + sizes.small > 0) {
      const token = await signup(server.url);
      const r = await firstSyncOfLargeAccount(server.url, server.pid, database, token, sizes);
      for (const line of describeFirstSync(sizes, r)) console.log(line);
    }
    console.log(
      `load average after: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await server.stop();
    if (process.env.BENCH_KEEP_DATABASE === '1') console.log(`database kept: ${db.url}`);
    else await db.drop();
  }
}

/** The cluster's WAL insert position, in bytes. */
async function walLsn(url: string): Promise<bigint> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ b: string }>(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b",
    );
    return BigInt(rows[0]!.b.split('.')[0]!);
  } finally {
    await c.end();
  }
}

type Measure = <T>(fn: () => Promise<T>) => Promise<{ value: T; node: number; pg: number }>;

async function idleBench(
  server: { url: string; pid: number },
  tokens: string[],
  measure: Measure,
): Promise<void> {
  const how =
    IDLE_CLIENT === 'node'
      ? 'node:http client'
      : `raw-socket client, ${IDLE_DEPTH} request${IDLE_DEPTH === 1 ? '' : 's'} in flight per connection`;
  console.log(
    `idle sync: ${IDLE_CONNECTIONS} keep-alive connections for ${IDLE_SECONDS} s, nothing to push or pull (${how})`,
  );
  let m = { value: undefined as unknown, node: 0, pg: 0 };
  let before: Record<string, number> = {};
  let after: Record<string, number> = {};
  let split = { user: 0, system: 0 };
  let generator = { user: 0, system: 0 };
  const r = await idle(server.url, tokens, async (run) => {
    before = await counters(server.url);
    const s0 = cpuSplit(server.pid);
    const g0 = process.cpuUsage();
    m = await measure(run);
    const g = process.cpuUsage(g0);
    const s1 = cpuSplit(server.pid);
    split = { user: s1.user - s0.user, system: s1.system - s0.system };
    generator = { user: g.user / 1e6, system: g.system / 1e6 };
    after = await counters(server.url);
  });
  const n = r.rps * r.seconds;
  const us = (seconds: number): string => ((seconds / n) * 1e6).toFixed(0);
  console.log(
    `  idle /v1/sync: ${Math.round(r.rps).toLocaleString('en-US')} requests/s (p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms)`,
  );
  console.log(
    `    CPU per request: server ${us(m.node)} µs (user ${us(split.user)}, kernel ${us(split.system)}), PostgreSQL ${us(m.pg)} µs, load generator ${us(generator.user + generator.system)} µs (user ${us(generator.user)}, kernel ${us(generator.system)})`,
  );
  // The server's own counts (docs/server.md, Endpoints), when it has them: how many polls were
  // answered from memory (a process whose LISTEN check lapsed under load reads the database).
  const d = (k: string): number => (after[k] ?? NaN) - (before[k] ?? NaN);
  if (!Number.isNaN(d('ferry_db_queries_total')))
    console.log(
      `    database round trips per request ${(d('ferry_db_queries_total') / n).toFixed(3)}; polls from memory ${d('ferry_position_cache_hits_total')}, from the database ${d('ferry_position_cache_misses_total')}`,
    );
}

/** The counters of the server's /metrics (one process: with workers, the one that answered). */
async function counters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(ferry_[a-z_]+_total) (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
