import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createServer, type RunningServer } from '../src/index.ts';
import { LoginThrottle } from '../src/auth/throttle.ts';
import { openDatabase } from '../src/db/database.ts';
import { postFrom } from './from-address.ts';
import { signup, startTestServer, type TestServer } from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

// Login throttling: atomic (counted before the password is verified), per (account, address), per
// address and per account, on one email key whatever its spelling, shared by every server process
// on the database. Requests come from distinct loopback addresses (127.0.0.0/8) so each test plays
// its own attackers without touching another test's per-address counters.

const PASSWORD = 'correct horse battery';
const PAIR = 10;
const ADDRESS = 30;
const ACCOUNT = 50;

let s: TestServer;
let second: RunningServer;
beforeAll(async () => {
  const limits = {
    loginFailuresPerMinute: PAIR,
    loginFailuresPerAddressPerMinute: ADDRESS,
    loginFailuresPerAccountPerHour: ACCOUNT,
  };
  s = await startTestServer(limits);
  // A second server process on the same database.
  second = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: s.dbUrl,
    ...limits,
  });
});
afterAll(async () => {
  await second?.close();
  await s?.close();
});

const tag = (): string => randomBytes(4).toString('hex');
const login = (url: string, email: string, password: string, from: string) =>
  postFrom(url, '/v1/auth/login', { email, password }, from);
const statuses = (rs: { status: number }[]): number[] => rs.map((r) => r.status);
const count = (xs: number[], x: number): number => xs.filter((y) => y === x).length;

/** `abc1` → `ａｂｃ１`: ASCII letters and digits as their fullwidth forms. */
const fullwidth = (s: string): string =>
  s.replace(/[A-Za-z0-9]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));

describe('login throttling', () => {
  it('counts 40 parallel wrong passwords atomically: at most the limit get 401, the rest 429', async () => {
    const u = await signup(s.url);
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(s.url, u.email, `wrong ${i}`, '127.0.0.11')),
    );
    const st = statuses(rs);
    expect(count(st, 401) + count(st, 429), st.join(',')).toBe(40);
    expect(count(st, 401), st.join(',')).toBeLessThanOrEqual(PAIR);
    const limited = rs.find((r) => r.status === 429)!;
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
  });

  it('treats İ, i + U+0307, upper case and fullwidth spellings as one account with one counter', async () => {
    const t = tag();
    const first = `İx-${t}@example.com`;
    const variants = [
      `i\u0307x-${t}@example.com`,
      `I\u0307X-${t.toUpperCase()}@EXAMPLE.COM`,
      fullwidth(`i\u0307x-${t}`) + '@' + fullwidth('example') + '.' + fullwidth('com'),
    ];
    const u = await signup(s.url, first);
    for (const v of variants) {
      const r = await postFrom(
        s.url,
        '/v1/auth/signup',
        { email: v, password: PASSWORD },
        '127.0.0.12',
      );
      expect(r.status, v).toBe(409);
      expect(r.body).toMatchObject({ error: { code: 'email_taken' } });
    }
    for (const v of [first, ...variants]) {
      const r = await login(s.url, v, PASSWORD, '127.0.0.12');
      expect(r.status, v).toBe(200);
      expect(r.body).toMatchObject({ userId: u.userId });
    }
    // Failures under every spelling, from one address, fill one counter.
    const st: number[] = [];
    for (let i = 0; i < PAIR + 2; i++) {
      const v = [first, ...variants][i % 4]!;
      st.push((await login(s.url, v, `wrong ${i}`, '127.0.0.13')).status);
    }
    expect(st).toEqual([...Array<number>(PAIR).fill(401), 429, 429]);
  });

  it('throttles one address that tries many different emails', async () => {
    const st: number[] = [];
    let last: { retryAfter: string | undefined } | undefined;
    for (let i = 0; i < ADDRESS + 5; i++) {
      const r = await login(s.url, `nobody-${tag()}-${i}@example.com`, 'wrong', '127.0.0.14');
      st.push(r.status);
      last = r;
    }
    expect(st).toEqual([...Array<number>(ADDRESS).fill(401), ...Array<number>(5).fill(429)]);
    expect(Number(last!.retryAfter)).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await login(s.url, `nobody-${tag()}@example.com`, 'wrong', '127.0.0.24')).status).toBe(
      401,
    );
  });

  it('shares the counters between two server processes on one database', async () => {
    const u = await signup(s.url);
    const st: number[] = [];
    for (let i = 0; i < PAIR + 2; i++) {
      const url = i % 2 === 0 ? s.url : second.url;
      st.push((await login(url, u.email, `wrong ${i}`, '127.0.0.15')).status);
    }
    expect(st).toEqual([...Array<number>(PAIR).fill(401), 429, 429]);
    // And in parallel, spread over both.
    const v = await signup(s.url);
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(i % 2 === 0 ? s.url : second.url, v.email, `wrong ${i}`, '127.0.0.16'),
      ),
    );
    expect(count(statuses(rs), 401)).toBeLessThanOrEqual(PAIR);
    expect(count(statuses(rs), 429)).toBeGreaterThanOrEqual(40 - PAIR);
  });

  it("does not lock the owner out from another address because of one address's failures", async () => {
    const u = await signup(s.url);
    for (let i = 0; i < PAIR; i++)
      expect((await login(s.url, u.email, `wrong ${i}`, '127.0.0.17')).status).toBe(401);
    expect((await login(s.url, u.email, PASSWORD, '127.0.0.17')).status).toBe(429);
    expect((await login(s.url, u.email, PASSWORD, '127.0.0.18')).status).toBe(200);
  });

  it('caps guesses at one account from many addresses; an address that signed in before still signs in', async () => {
    const u = await signup(s.url);
    expect((await login(s.url, u.email, PASSWORD, '127.0.1.100')).status).toBe(200);
    // ACCOUNT failures spread over addresses, each below its own limits.
    for (let a = 0; a < ACCOUNT / 5; a++) {
      for (let i = 0; i < 5; i++)
        expect((await login(s.url, u.email, `wrong ${a}.${i}`, `127.0.1.${a + 1}`)).status).toBe(
          401,
        );
    }
    const next = await login(s.url, u.email, 'wrong again', '127.0.1.60');
    expect(next.status).toBe(429);
    expect(Number(next.retryAfter)).toBeGreaterThan(0);
    expect(Number(next.retryAfter)).toBeLessThanOrEqual(3600);
    // A new address, even with the right password, waits out the window...
    expect((await login(s.url, u.email, PASSWORD, '127.0.1.61')).status).toBe(429);
    // ...but the address the owner signed in from before is not locked out by strangers.
    expect((await login(s.url, u.email, PASSWORD, '127.0.1.100')).status).toBe(200);
  });

  it('lets logins through again once the window has passed', async () => {
    const u = await signup(s.url);
    for (let i = 0; i < PAIR; i++) await login(s.url, u.email, `wrong ${i}`, '127.0.0.19');
    expect((await login(s.url, u.email, PASSWORD, '127.0.0.19')).status).toBe(429);
    // Move every window of this test's counters into the past, as if the time had passed.
    const c = new pg.Client({ connectionString: s.dbUrl });
    await c.connect();
    try {
      await c.query("UPDATE login_throttle SET reset_at = now() - interval '1 second'");
    } finally {
      await c.end();
    }
    expect((await login(s.url, u.email, PASSWORD, '127.0.0.19')).status).toBe(200);
  });

  it('sweeps ended windows and addresses unused for 90 days, and nothing else', async () => {
    const db = openDatabase(s.dbUrl, 1);
    try {
      const u = await signup(s.url);
      await db.query(
        `INSERT INTO login_throttle (key, count, reset_at) VALUES
           ('\\x01', 5, now() - interval '1 second'), ('\\x02', 5, now() + interval '1 minute')`,
      );
      await db.query(
        `INSERT INTO login_addresses (user_id, address, last_success_at) VALUES
           ($1, 'old', now() - interval '91 days'), ($1, 'recent', now() - interval '89 days')`,
        [u.userId],
      );
      await new LoginThrottle(db, {
        perPairPerMinute: 1,
        perAddressPerMinute: 1,
        perAccountPerHour: 1,
      }).sweep();
      const keys = await db.query<{ key: Buffer }>(
        "SELECT key FROM login_throttle WHERE key IN ('\\x01', '\\x02')",
      );
      expect(keys.map((r) => r.key.toString('hex'))).toEqual(['02']);
      const addresses = await db.query<{ address: string }>(
        'SELECT address FROM login_addresses WHERE user_id = $1 ORDER BY address',
        [u.userId],
      );
      expect(addresses.map((r) => r.address)).toEqual(['127.0.0.1', 'recent']);
    } finally {
      await db.close();
    }
  });
});
