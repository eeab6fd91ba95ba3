import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ferrySchema } from '@ferry/protocol';
import { createServer, type RunningServer, type StartOptions } from '../src/index.ts';
import { tokenHash } from '../src/auth/tokens.ts';
import {
  Device,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
} from './helpers.ts';
import { PgProxy } from './pg-proxy.ts';

// An up-to-date device's poll asks the database nothing: tokens, positions and seqs are kept in
// memory and kept exact by LISTEN/NOTIFY across server processes (docs/scaling.md). These tests
// show the round trips are gone, that what other processes change is seen, and that nothing is
// answered from memory once notifications may have been missed.

const PASSWORD = 'correct horse battery';
/** The LISTEN check interval of the servers here; the tests that count queries keep the default. */
const CHECK_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let a: TestServer;
let sql: pg.Client;
const extra: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  a = await startTestServer({ listenCheckMs: CHECK_MS });
  sql = new pg.Client({ connectionString: a.dbUrl });
  await sql.connect();
});
afterAll(async () => {
  for (const x of extra.reverse()) await x.close().catch(() => undefined);
  await sql?.end();
  await a?.close();
});

/** Another server process on a's database (in this process: its own pool, LISTEN and caches). */
async function another(opts: Partial<StartOptions> = {}): Promise<RunningServer> {
  const s = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: a.dbUrl,
    listenCheckMs: CHECK_MS,
    ...opts,
  });
  extra.push(s);
  return s;
}

async function proxy(): Promise<PgProxy> {
  const p = await PgProxy.start(a.dbUrl);
  extra.push(p);
  return p;
}

async function login(url: string, email: string): Promise<string> {
  const r = await call<{ token: string }>(url, 'POST', '/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  expect(r.status).toBe(200);
  return r.body.token;
}

/** A device that has pulled everything: its next poll is idle. */
async function upToDate(url: string, token: string): Promise<Device> {
  const d = new Device(url, token);
  for (let i = 0; i < 3; i++) expect((await d.sync()).status).toBe(200);
  return d;
}

/** Polls until `done` holds or `ms` pass; returns how long it took, or null. */
async function within(ms: number, done: () => Promise<boolean>): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await done()) return performance.now() - start;
  }
  return null;
}

async function gauge(url: string, name: string): Promise<number> {
  const r = await call<string>(url, 'GET', '/metrics');
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(r.body);
  return m === null ? NaN : Number(m[1]);
}

describe('an idle poll', () => {
  it('of an up-to-date device asks the database nothing', async () => {
    const counted = await proxy();
    // The default check interval: on a loaded machine a 100 ms one may lapse the trust meanwhile.
    const b = await another({
      databaseUrl: counted.url,
      listenDatabaseUrl: a.dbUrl,
      listenCheckMs: 500,
    });
    const u = await signup(b.url);
    const d = await upToDate(b.url, u.token);
    const before = counted.roundTrips;
    const hits = await gauge(b.url, 'ferry_position_cache_hits_total');
    for (let i = 0; i < 20; i++) {
      const r = await d.sync();
      expect(r.status).toBe(200);
      expect(r.body.changes).toEqual([]);
    }
    expect(counted.roundTrips - before).toBe(0);
    expect((await gauge(b.url, 'ferry_position_cache_hits_total')) - hits).toBe(20);
  });

  it('sees a push made through another process', async () => {
    const b = await another();
    const u = await signup(a.url);
    const watcher = await upToDate(b.url, u.token);
    const writer = await upToDate(a.url, u.token);
    expect(
      (await writer.sync([writer.mutation('notes', newId(), 'upsert', newNote('x'))])).body
        .results[0]?.status,
    ).toBe('applied');
    const took = await within(1000, async () => (await watcher.sync()).body.changes.length === 1);
    expect(took).not.toBeNull();
  });

  it("sees a client's seq move through another process without the position moving", async () => {
    const b = await another();
    const u = await signup(a.url);
    const d = await upToDate(b.url, u.token);
    // The same device pushes through a (a load balancer may send it anywhere): rejected, so the
    // seq moves and the position does not.
    const onA = Object.assign(new Device(a.url, u.token), {
      clientId: d.clientId,
      cursor: d.cursor,
    });
    const m = d.mutation('no_such_table', newId(), 'upsert', {});
    const r = await onA.sync([m]);
    expect(r.body.results[0]?.status).toBe('rejected');
    expect(r.body.cursor).toBe(d.cursor);
    const took = await within(1000, async () => (await d.sync()).body.lastMutationSeq === m.seq);
    expect(took).not.toBeNull();
  });

  it('after a push through the same process, answers from after it', async () => {
    const u = await signup(a.url);
    const d = await upToDate(a.url, u.token);
    const m = d.mutation('no_such_table', newId(), 'upsert', {});
    expect((await d.sync([m])).body.lastMutationSeq).toBe(m.seq);
    expect((await d.sync()).body.lastMutationSeq).toBe(m.seq);
  });
});

describe('a revoked token', () => {
  it('is refused by another process once the NOTIFY arrives (latency printed)', async () => {
    const b = await another();
    const u = await signup(a.url);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const token = await login(a.url, u.email);
      const d = await upToDate(b.url, token);
      expect((await call(a.url, 'POST', '/v1/auth/logout', { token })).status).toBe(204);
      const took = await within(2000, async () => (await d.sync()).status === 401);
      expect(took).not.toBeNull();
      latencies.push(took!);
    }
    latencies.sort((x, y) => x - y);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const max = latencies[latencies.length - 1]!;
    console.log(
      `revocation on one process → refused by another: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (n ${latencies.length}, from the logout's 204 to the first 401)`,
    );
    expect(max).toBeLessThan(1000);
  });

  it('revoked by hand in SQL is refused too (a trigger notifies)', async () => {
    const b = await another();
    const u = await signup(a.url);
    const d = await upToDate(b.url, u.token);
    await sql.query('UPDATE tokens SET revoked_at = now() WHERE hash = $1', [tokenHash(u.token)]);
    expect(await within(1000, async () => (await d.sync()).status === 401)).not.toBeNull();
  });

  it('is refused within 2 × the check interval when the LISTEN connection dies silently', async () => {
    const listen = await proxy();
    const b = await another({ listenDatabaseUrl: listen.url });
    const u = await signup(a.url);
    const d = await upToDate(b.url, u.token);
    expect(await gauge(b.url, 'ferry_listen_trusted')).toBe(1);
    listen.freeze();
    // The revocation's NOTIFY cannot reach b, and nothing tells b its connection is dead.
    await sql.query('UPDATE tokens SET revoked_at = now() WHERE hash = $1', [tokenHash(u.token)]);
    const took = await within(3000, async () => (await d.sync()).status === 401);
    expect(took).not.toBeNull();
    expect(took!).toBeLessThan(2 * CHECK_MS + 500);
    expect(await gauge(b.url, 'ferry_listen_trusted')).toBe(0);
  });

  it('revoked while the LISTEN connection was down is refused after it reconnects', async () => {
    const s = await startTestServer();
    extra.push(s);
    const own = new pg.Client({ connectionString: s.dbUrl });
    await own.connect();
    extra.push({ close: () => own.end() });
    const u = await signup(s.url);
    const d = await upToDate(s.url, u.token);
    const pids = await own.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
         AND query IN ('LISTEN ferry_poke', 'SELECT 1') AND pid <> pg_backend_pid()`,
    );
    expect(pids.rows).toHaveLength(1);
    const pid = pids.rows[0]!.pid;
    await own.query('SELECT pg_terminate_backend($1)', [pid]);
    await within(2000, async () => {
      const r = await own.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      return r.rows.length === 0;
    });
    // Nobody of this server listens now: this revocation's NOTIFY is lost for it.
    await own.query('UPDATE tokens SET revoked_at = now() WHERE hash = $1', [tokenHash(u.token)]);
    expect(await gauge(s.url, 'ferry_listen_trusted')).toBe(0);
    expect((await d.sync()).status).toBe(401);
    // Back (the hub retries after 1 s): still refused, and the cache works again for others.
    expect(
      await within(5000, async () => (await gauge(s.url, 'ferry_listen_trusted')) === 1),
    ).not.toBeNull();
    expect((await d.sync()).status).toBe(401);
    const other = await upToDate(s.url, await login(s.url, u.email));
    const q = await gauge(s.url, 'ferry_db_queries_total');
    await sleep(10);
    for (let i = 0; i < 5; i++) expect((await other.sync()).status).toBe(200);
    expect((await gauge(s.url, 'ferry_db_queries_total')) - q).toBe(0);
  });
});
