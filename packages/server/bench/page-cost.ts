/**
 * What a first sync costs the server per page and per row: `npx tsx --conditions=ferry-source
 * bench/page-cost.ts` (from packages/server). The server runs as its own process (`src/main.ts`);
 * one user holds BENCH_NOTES notes (20 000) of ~220 bytes (pull-cost.ts's generator, seed 11);
 * this process pulls every page from "0" as the engine asks (`compact: 1`, `Accept-Encoding: br`),
 * with each page size of BENCH_LIMITS (`pageLimit`; comma-separated, default "1000,5000"), twice each (the second
 * pass is printed). It prints the server's CPU (its process) and the database backends' CPU per
 * row and per page: the engine's own work is not in these figures.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import {
  COMPACT_VERSION,
  FERRY_SCHEMA_VERSION,
  Limits,
  PROTOCOL_VERSION,
  uuidv7,
} from '@ferry/protocol';
import { createTestDatabase } from '../src/testing/index.ts';
import { mulberry32 as prng } from './merge-texts.ts';
import { cpuBetween, cpuSeconds, databaseCpuSeconds } from './proc.ts';
import { seedNotes, signup } from './wire.ts';
import { startServerProcess } from './server-process.ts';

const NOTES = Number(process.env.BENCH_NOTES ?? 20_000);
const LIMITS = (process.env.BENCH_LIMITS ?? '1000,5000').split(',').map(Number);

async function sync(url: string, token: string, body: object): Promise<Record<string, unknown>> {
  const r = await fetch(`${url}/v1/sync`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'accept-encoding': 'br',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      protocol: PROTOCOL_VERSION,
      schemaVersion: FERRY_SCHEMA_VERSION,
      ...body,
    }),
  });
  if (r.status !== 200) throw new Error(`sync: ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const dbName = new URL(db.url).pathname.slice(1);
  const server = await startServerProcess({
    env: { DATABASE_URL: db.url },
    // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
    nodeArgs: process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [],
  });
  try {
    const token = await signup(server.url);
    await seedNotes(server.url, token, NOTES, prng(11));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('ANALYZE');
    await c.end();
    console.log(`${NOTES} notes; load average ${loadavg()[0]!.toFixed(1)}`);
    for (const limit of LIMITS) {
      for (let pass = 0; pass < 2; pass++) {
        const clientId = uuidv7();
        const s0 = cpuSeconds(server.pid);
        const p0 = databaseCpuSeconds(dbName);
        const t0 = performance.now();
        let cursor = '0';
        let pages = 0;
        for (;;) {
          const res = await sync(server.url, token, {
            clientId,
            cursor,
            mutations: [],
            pullLimit: Math.min(limit, Limits.maxPullLimit),
            pageLimit: limit,
            compact: COMPACT_VERSION,
          });
          pages++;
          cursor = res.cursor as string;
          if (res.hasMore !== true) break;
        }
        const wall = (performance.now() - t0) / 1000;
        const server_ = cpuSeconds(server.pid) - s0;
        const pgCpu = cpuBetween(p0, databaseCpuSeconds(dbName));
        if (pass === 1)
          console.log(
            `pageLimit ${limit}: ${pages} pages, ${wall.toFixed(2)} s; server ${((server_ / NOTES) * 1e6).toFixed(1)} µs/row, ${((server_ / pages) * 1e3).toFixed(2)} ms/page; PostgreSQL ${((pgCpu / NOTES) * 1e6).toFixed(1)} µs/row; load ${loadavg()[0]!.toFixed(1)}`,
          );
      }
    }
  } finally {
    await server.stop();
    // BENCH_KEEP_DB=1 leaves the database for EXPLAIN (its URL is printed).
    if (process.env.BENCH_KEEP_DB === '1') console.log(`database kept: ${db.url}`);
    else await db.drop();
  }
}

await main();
