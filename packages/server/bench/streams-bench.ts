/**
 * `npm run bench:streams -w @ferry/server` (issue 11's last two figures): how many open
 * `/v1/events` streams one server process holds and what they cost in memory, and how long a
 * write on one device takes to be visible on another (the push, the poke over the other device's
 * stream, its pull), with those streams open.
 *
 * The server runs as its own process (`src/main.ts`, as `npm start` runs it) on a fresh database
 * of the PostgreSQL at DATABASE_URL; this process opens the streams and plays the two devices.
 * PostgreSQL's CPU is that of the bench database's backends (the cluster's own writers are shared).
 * Environment: BENCH_STREAMS (10 000 streams), BENCH_STREAM_USERS (the streams are spread over
 * that many users, 20; a user's streams share its token, as a signup or login per stream would
 * be throttled), BENCH_ROUNDS (write → visible, 200 rounds). The server's cap on open
 * connections (FERRY_MAX_CONNECTIONS, 10 000 by default) is raised to make room for them.
 * BENCH_STREAMS=0 times the rounds alone; BENCH_NODE_ARGS are the server's node flags (a profile).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { HlcClock, hlcNode, uuidv7, type SyncResponse } from '@ferry/protocol';
import { createTestDatabase } from '../src/testing/index.ts';
import { LoadClient } from './http-load.ts';
import { quantile } from './merge-texts.ts';
import { cpuBetween, cpuSeconds, databaseCpuSeconds } from './proc.ts';
import { startServerProcess } from './server-process.ts';
import { signup, syncBody } from './wire.ts';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const STREAMS = env('BENCH_STREAMS', 10_000);
const USERS = env('BENCH_STREAM_USERS', 20);
const ROUNDS = env('BENCH_ROUNDS', 200);

/** A field of /proc/PID/status in MiB (VmRSS: resident now; VmHWM: its high-water mark). */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) / 1024 : NaN;
}

/** An open stream; `close` ends it. */
interface Stream {
  close(): void;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** Opens `/v1/events` as `token`; resolves once the stream's first bytes arrive. */
function openStream(url: string, token: string, onData: (s: string) => void): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}/v1/events`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let first = true;
        res.on('data', (chunk: string) => {
          onData(chunk);
          if (first) {
            first = false;
            resolve({ close: () => req.destroy() });
          }
        });
      },
    );
    req.on('error', reject);
  });
}

/** POSTs a `/v1/sync` body over the benches' keep-alive client; resolves with the answer. */
async function postSync(client: LoadClient, token: string, body: string): Promise<SyncResponse> {
  const r = await client.post('/v1/sync', body, token);
  if (r.status !== 200) throw new Error(`sync answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as SyncResponse;
}

/** Opens STREAMS streams over `tokens`, a batch at a time; prints memory and CPU per stream. */
async function holdStreams(
  url: string,
  pid: number,
  dbName: string,
  tokens: string[],
): Promise<Stream[]> {
  const rssBefore = statusMiB(pid, 'VmRSS');
  const cpuBefore = cpuSeconds(pid);
  const pgBefore = databaseCpuSeconds(dbName);
  const t0 = performance.now();
  const streams: Stream[] = [];
  for (let i = 0; i < STREAMS; i += 200) {
    const batch = Array.from({ length: Math.min(200, STREAMS - i) }, (_, j) =>
      openStream(url, tokens[(i + j) % tokens.length]!, () => undefined),
    );
    streams.push(...(await Promise.all(batch)));
  }
  const openSeconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000)); // settle: let a GC run
  const rss = statusMiB(pid, 'VmRSS');
  console.log(`open /v1/events streams: ${streams.length} in ${openSeconds.toFixed(2)} s`);
  console.log(
    `  server RSS: ${rssBefore.toFixed(0)} MiB before, ${rss.toFixed(0)} MiB with them open ` +
      `(peak ${statusMiB(pid, 'VmHWM').toFixed(0)} MiB); ` +
      `${(((rss - rssBefore) * 1024) / streams.length).toFixed(1)} KiB a stream`,
  );
  console.log(
    `  CPU to open them: server ${(((cpuSeconds(pid) - cpuBefore) * 1e6) / streams.length).toFixed(0)} µs, ` +
      `PostgreSQL ${((cpuBetween(pgBefore, databaseCpuSeconds(dbName)) * 1e6) / streams.length).toFixed(0)} µs a stream`,
  );
  return streams;
}

/**
 * Device A writes a note; device B, holding a stream, pulls when poked. Times each round from
 * A's request to B's pull answer holding the note.
 */
async function writeToVisible(
  url: string,
  pid: number,
  dbName: string,
  token: string,
): Promise<void> {
  const a = uuidv7();
  const b = uuidv7();
  const clock = new HlcClock(hlcNode(a));
  const client = new LoadClient(url, 1);
  let bCursor = (await postSync(client, token, syncBody(b, '0', []))).cursor;
  let aCursor = (await postSync(client, token, syncBody(a, '0', []))).cursor;
  let waiting: ((cursor: string) => void) | null = null;
  const stream = await openStream(url, token, (chunk) => {
    const m = /event: poke\ndata: (\{[^\n]*\})/.exec(chunk);
    if (m && waiting) waiting((JSON.parse(m[1]!) as { cursor: string }).cursor);
  });
  const times: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  const pgBefore = databaseCpuSeconds(dbName);
  for (let round = 1; round <= ROUNDS; round++) {
    const id = uuidv7();
    const poked = new Promise<string>((r) => (waiting = r));
    const t0 = performance.now();
    const stamp = clock.now();
    const now = new Date().toISOString();
    const pushed = await postSync(
      client,
      token,
      syncBody(a, aCursor, [
        {
          seq: round,
          table: 'notes',
          id,
          op: 'upsert',
          fields: {
            title: `round ${round}`,
            content: 'visible?',
            created_at: now,
            updated_at: now,
          },
          hlc: stamp,
          baseVersion: null,
        },
      ]),
    );
    aCursor = pushed.cursor;
    if (pushed.results[0]?.status !== 'applied')
      throw new Error(`round ${round}: ${JSON.stringify(pushed.results)}`);
    await poked;
    const got = await postSync(client, token, syncBody(b, bCursor, []));
    bCursor = got.cursor;
    if (!got.changes.some((c) => c.row.id === id))
      throw new Error(`round ${round}: poked, but the pull did not hold the note`);
    waiting = null;
    times.push(performance.now() - t0);
  }
  const perRound = (s: number): string => `${((s * 1e6) / ROUNDS).toFixed(0)} µs`;
  const cpu = `server ${perRound(cpuSeconds(pid) - cpuBefore)}, PostgreSQL ${perRound(cpuBetween(pgBefore, databaseCpuSeconds(dbName)))}`;
  stream.close();
  client.close();
  times.sort((x, y) => x - y);
  console.log(
    `write on one device → visible on another (push, poke, pull), ${ROUNDS} rounds: ` +
      `p50 ${quantile(times, 0.5).toFixed(1)} ms, p90 ${quantile(times, 0.9).toFixed(1)} ms, ` +
      `p99 ${quantile(times, 0.99).toFixed(1)} ms, worst ${times.at(-1)!.toFixed(1)} ms; CPU a round: ${cpu}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const db = await createTestDatabase();
  // The default cap on open connections is 10 000: room for the streams and the two devices.
  const server = await startServerProcess({
    env: { DATABASE_URL: db.url, FERRY_MAX_CONNECTIONS: String(STREAMS + 100) },
    nodeArgs: process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [],
  });
  try {
    const dbName = new URL(db.url).pathname.slice(1);
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) tokens.push(await signup(server.url));
    const writer = await signup(server.url);
    await writeToVisible(server.url, server.pid, dbName, writer);
    if (STREAMS === 0) return;
    const streams = await holdStreams(server.url, server.pid, dbName, tokens);
    console.log(`with the ${streams.length} streams open:`);
    await writeToVisible(server.url, server.pid, dbName, writer);
    for (const s of streams) s.close();
  } finally {
    await server.stop();
    await db.drop();
    agent.destroy();
  }
  console.log(`load average after: ${loadavg()[0]!.toFixed(2)}`);
}

await main();
