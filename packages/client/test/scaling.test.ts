/**
 * Several server processes on one database (issue 11, item 5): three `npm start`s on their own
 * ports, the same through a private PgBouncer in transaction mode, and one `FERRY_WORKERS=3`
 * cluster. Devices are engines in this process (better-sqlite3), spread across the processes, each
 * with a poke stream to its own process; a push through one process must poke the devices of the
 * others, and every device must end with the same notes.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';
import {
  fetchEventSource,
  fetchHttp,
  memoryTokenStore,
  openFerry,
  PokeListener,
  systemTimers,
  type Ferry,
} from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { startPgBouncer, type PgBouncer } from './pgbouncer.ts';
import { email, PASSWORD } from './server.ts';
import { spawnServer, type ServerProc } from './server-procs.ts';
import { ferrySchema, type Note, type ferryTables } from '@ferry/protocol';

const run = promisify(execFile);

/**
 * Established connections to `port` that process `pid` holds open (from /proc): a cluster primary
 * must hold none, or a client's keep-alive connection outlives the worker that served it.
 */
async function connectionsHeldBy(pid: number, port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (m) inodes.add(m[1]!);
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let held = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      // local address, state 01 = ESTABLISHED, inode
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '01' && inodes.has(f[9]!)) held++;
    }
  }
  return held;
}
/** Small pools: three processes share the machine's PostgreSQL with other test files. */
const POOL = { FERRY_POOL_SIZE: '4' };
const POKE_WAIT_MS = 20_000;

interface Device {
  readonly ferry: Ferry<typeof ferryTables>;
  readonly server: string;
  /** Cursors of the pokes received, in order. */
  readonly pokes: string[];
  /** Failures of the syncs that pokes started (there must be none). */
  readonly errors: unknown[];
  waitPoke(after: bigint): Promise<number>;
  close(): Promise<void>;
}

/** An engine signed in to `server`, listening to its poke stream and syncing on each poke (as the scheduler does). */
async function openDevice(server: string, user: string, signup: boolean): Promise<Device> {
  const ferry = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(tempDbPath()),
    tokenStore: memoryTokenStore(),
    http: fetchHttp,
  });
  if (signup) await ferry.signup(server, user, PASSWORD);
  else await ferry.login(server, user, PASSWORD, 'scaling test');
  const pokes: string[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const listener = new PokeListener({
    eventSource: fetchEventSource,
    connection: () => ferry.connection(),
    onPoke: (cursor) => {
      pokes.push(cursor);
      for (const w of [...waiters]) w();
      ferry.sync().catch((e: unknown) => errors.push(e));
    },
    onUnauthorized: () => errors.push(new Error('poke stream: 401')),
    timers: systemTimers,
    random: Math.random,
  });
  listener.start();
  const waitPoke = (after: bigint): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const check = (): void => {
        if (pokes.some((c) => c !== '' && BigInt(c) > after)) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(performance.now() - t0);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no poke past ${after} from ${server} in ${POKE_WAIT_MS} ms (got ${pokes.join(',')})`,
          ),
        );
      }, POKE_WAIT_MS);
      waiters.add(check);
      check();
    });
  return {
    ferry,
    server,
    pokes,
    errors,
    waitPoke,
    async close() {
      listener.stop();
      await ferry.close();
    },
  };
}

const lastCursor = (d: Device): bigint =>
  d.pokes.reduce((m, c) => (c !== '' && BigInt(c) > m ? BigInt(c) : m), -1n);
const snapshot = async (d: Device): Promise<Omit<Note, 'synced'>[]> =>
  (await d.ferry.tables.notes.list({ deleted: true }))
    .map(({ synced: _, ...rest }) => rest)
    .sort((a, b) => (a.id < b.id ? -1 : 1));

/**
 * Six devices of one account spread over `urls` (device i on urls[i % n]). Checks that a push
 * through each process pokes every other device, on whatever process it listens, then writes from
 * every device at once (new notes and edits of one shared note) and syncs until all agree.
 * Returns the poke latencies (push sent → poke received), in ms.
 */
async function scenario(urls: readonly string[]): Promise<number[]> {
  const user = email();
  const devices: Device[] = [await openDevice(urls[0]!, user, true)];
  for (let i = 1; i < 6; i++) devices.push(await openDevice(urls[i % urls.length]!, user, false));
  try {
    // Every stream is connected once it has delivered its first poke (the current position).
    await Promise.all(devices.map((d) => d.waitPoke(-1n)));
    const latencies: number[] = [];
    let crossed = 0;
    const shared = await devices[0]!.ferry.tables.notes.create({ title: 'shared', content: 'v0' });
    for (const writer of devices.slice(0, 3)) {
      const before = new Map(devices.map((d) => [d, lastCursor(d)]));
      await writer.ferry.tables.notes.create({
        title: `from ${writer.server}`,
        content: 'poke me',
      });
      const waits = devices.filter((d) => d !== writer).map((d) => d.waitPoke(before.get(d)!));
      await writer.ferry.sync();
      latencies.push(...(await Promise.all(waits)));
      crossed += devices.filter((d) => d !== writer && d.server !== writer.server).length;
    }
    if (new Set(urls).size > 1) expect(crossed).toBeGreaterThanOrEqual(12);

    // Everyone writes at once: new notes, and edits of the shared note's title (last writer wins)
    // through every process.
    await Promise.all(devices.map((d) => d.ferry.sync()));
    await Promise.all(
      devices.map(async (d, i) => {
        for (let round = 0; round < 3; round++) {
          await d.ferry.tables.notes.createMany(
            Array.from({ length: 10 }, (_, k) => ({
              title: `d${i} r${round} n${k}`,
              content: `by device ${i}`,
            })),
          );
          await d.ferry.tables.notes.update(shared.id, { title: `device ${i} round ${round}` });
          await d.ferry.sync();
        }
      }),
    );

    // Converge: sync every device until each is complete and all hold the same rows.
    let snaps: Omit<Note, 'synced'>[][] = [];
    for (let round = 0; round < 10; round++) {
      const outcomes = [];
      for (const d of devices) outcomes.push(await d.ferry.sync());
      snaps = await Promise.all(devices.map(snapshot));
      if (
        outcomes.every((o) => o.complete) &&
        snaps.every((s) => JSON.stringify(s) === JSON.stringify(snaps[0]))
      )
        break;
    }
    expect(snaps[0]).toHaveLength(1 + 3 + 6 * 30);
    for (const s of snaps) expect(s).toEqual(snaps[0]);
    expect(snaps[0]!.find((n) => n.id === shared.id)!.title).toMatch(/^device \d round 2$/);
    for (const d of devices) {
      expect(d.errors).toEqual([]);
      expect(d.ferry.status()).toMatchObject({ pending: 0 });
    }
    return latencies;
  } finally {
    for (const d of devices) await d.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('several server processes on one database', () => {
  const procs: ServerProc[] = [];
  const dbs: TestDatabase[] = [];
  let bouncer: PgBouncer | undefined;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await bouncer?.stop();
    for (const db of dbs) await db.drop();
  });
  const database = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase();
    dbs.push(db);
    return db;
  };

  it(
    'three processes on their own ports: pokes cross processes and every device converges',
    { timeout: 300_000 },
    async () => {
      const db = await database();
      const three = await Promise.all(
        [0, 1, 2].map(() => spawnServer({ DATABASE_URL: db.url, ...POOL })),
      );
      procs.push(...three);
      const latencies = await scenario(three.map((p) => p.url));
      console.log(
        `3 processes: poke latency p50 ${median(latencies).toFixed(1)} ms over ${latencies.length} pokes`,
      );
      for (const p of three) expect((await p.stop()).code).toBe(0);
    },
  );

  it(
    'the same through PgBouncer in transaction mode (LISTEN on a direct connection)',
    { timeout: 300_000 },
    async () => {
      const db = await database();
      const direct = new URL(db.url);
      bouncer = await startPgBouncer({ host: direct.hostname, port: Number(direct.port || 5432) });
      const name = direct.pathname.slice(1);
      const env = {
        DATABASE_URL: bouncer.url(name),
        FERRY_DATABASE_POOLER: 'transaction',
        FERRY_LISTEN_DATABASE_URL: db.url,
        LOG_LEVEL: 'warn',
        ...POOL,
      };
      const three = await Promise.all([0, 1, 2].map(() => spawnServer(env)));
      procs.push(...three);
      const before = await bouncer.stats(name);
      const latencies = await scenario(three.map((p) => p.url));
      const after = await bouncer.stats(name);
      console.log(
        `3 processes behind PgBouncer: poke latency p50 ${median(latencies).toFixed(1)} ms; ${after.xacts - before.xacts} transactions through the pooler`,
      );
      // The sync path went through the pooler, and the processes did not warn about its settings.
      expect(after.xacts - before.xacts).toBeGreaterThan(100);
      for (const p of three) {
        expect(p.output()).not.toMatch(/enable_bitmapscan is on|prepared statement/);
        expect((await p.stop()).code).toBe(0);
      }
    },
  );

  it(
    'FERRY_WORKERS=3: one port, three workers; a killed worker is replaced; SIGTERM stops them all',
    { timeout: 300_000 },
    async () => {
      const db = await database();
      const cluster = await spawnServer(
        { DATABASE_URL: db.url, FERRY_WORKERS: '3', LOG_LEVEL: 'info', ...POOL },
        /server workers started[\s\S]*?listening on http/,
      );
      procs.push(cluster);
      const workers = async (): Promise<number[]> => {
        const { stdout } = await run('ps', [
          '-o',
          'pid=,comm=',
          '--ppid',
          String(cluster.pid),
        ]).catch(() => ({ stdout: '' }));
        return stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter(([pid, comm]) => pid !== undefined && comm === 'node')
          .map(([pid]) => Number(pid));
      };
      const first = await workers();
      expect(first).toHaveLength(3);
      await scenario([cluster.url, cluster.url, cluster.url]);
      // The workers accept connections themselves (SCHED_NONE): the primary holds none of them, so
      // a killed worker's connections close with it. (Under node's default round robin the primary
      // kept copies of the newest ones, and a device that reused one after the kill hung forever.)
      const port = Number(new URL(cluster.url).port);
      expect(await connectionsHeldBy(cluster.pid, port)).toBe(0);

      process.kill(first[0]!, 'SIGKILL');
      await cluster.waitFor(/a server worker exited; starting another/);
      const deadline = Date.now() + 60_000;
      let now = await workers();
      while ((now.length !== 3 || now.includes(first[0]!)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        now = await workers();
      }
      expect(now).toHaveLength(3);
      expect(now).not.toContain(first[0]);
      await scenario([cluster.url, cluster.url, cluster.url]);

      expect(await cluster.stop()).toEqual({ code: 0, signal: null });
      for (const pid of now) expect(() => process.kill(pid, 0)).toThrow();
    },
  );
});
