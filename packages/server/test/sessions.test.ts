import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION, ferrySchema } from '@ferry/protocol';
import { randomUUID } from 'node:crypto';
import { createServer, type RunningServer } from '../src/index.ts';
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
import { SseReader } from './sse-client.ts';

// Token lifetimes (absolute and idle), sign-out everywhere, and open event streams that end when
// their token is revoked (from any server process) or expires.

const PASSWORD = 'correct horse battery';
const DAY = "interval '1 day'";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let s: TestServer;
let second: RunningServer;
let db: pg.Client;
beforeAll(async () => {
  s = await startTestServer({ heartbeatMs: 100 });
  second = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: s.dbUrl,
    heartbeatMs: 100,
  });
  db = new pg.Client({ connectionString: s.dbUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await second?.close();
  await s?.close();
});

/** Ages a token as if it had been issued `createdDays` ago and last used `usedDays` ago. */
async function age(token: string, createdDays: number, usedDays: number): Promise<void> {
  await db.query(
    `UPDATE tokens SET created_at = now() - $2 * ${DAY}, last_used_at = now() - $3 * ${DAY} WHERE hash = $1`,
    [tokenHash(token), createdDays, usedDays],
  );
}

async function lastUsed(token: string): Promise<Date> {
  const r = await db.query<{ t: Date }>('SELECT last_used_at AS t FROM tokens WHERE hash = $1', [
    tokenHash(token),
  ]);
  return r.rows[0]!.t;
}

async function login(url: string, email: string): Promise<string> {
  const r = await call<{ token: string }>(url, 'POST', '/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  expect(r.status).toBe(200);
  return r.body.token;
}

/** The status of each authenticated endpoint for this token. */
async function statuses(url: string, token: string): Promise<Record<string, number>> {
  const pull = await call(url, 'POST', '/v1/sync', {
    token,
    body: {
      protocol: PROTOCOL_VERSION,
      clientId: randomUUID(),
      schemaVersion: FERRY_SCHEMA_VERSION,
      cursor: '0',
      mutations: [],
    },
  });
  const d = new Device(url, token);
  const push = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
  const me = await call(url, 'GET', '/v1/me', { token });
  const events = new SseReader();
  await events.open(url, token);
  await events.close();
  return { me: me.status, pull: pull.status, push: push.status, events: events.status };
}
const ALL_401 = { me: 401, pull: 401, push: 401, events: 401 };
const ALL_200 = { me: 200, pull: 200, push: 200, events: 200 };

describe('token lifetimes', () => {
  it('refuses a token older than the absolute lifetime, however recently it was used', async () => {
    const u = await signup(s.url);
    await age(u.token, 800, 0);
    expect(await statuses(s.url, u.token)).toEqual(ALL_401);
    const r = await call(s.url, 'GET', '/v1/me', { token: u.token });
    expect(r.body).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses a token left unused for longer than the idle expiry', async () => {
    const u = await signup(s.url);
    await age(u.token, 40, 31);
    expect(await statuses(s.url, u.token)).toEqual(ALL_401);
  });

  it('keeps a token used within the idle window working, and records the use at most once a minute', async () => {
    const u = await signup(s.url);
    await age(u.token, 300, 29);
    expect(await statuses(s.url, u.token)).toEqual(ALL_200);
    const touched = await lastUsed(u.token);
    expect(Date.now() - touched.getTime()).toBeLessThan(60_000);
    // Used again at once: no new write.
    expect((await call(s.url, 'GET', '/v1/me', { token: u.token })).status).toBe(200);
    expect((await lastUsed(u.token)).getTime()).toBe(touched.getTime());
  });

  it('keeps a device that keeps syncing signed in past the idle expiry; an idle one expires', async () => {
    const short = await createServer({
      ...ferrySchema,
      port: 0,
      logLevel: 'silent',
      databaseUrl: s.dbUrl,
      tokenIdleMs: 3000,
    });
    try {
      const busy = await signup(short.url);
      const idle = await signup(short.url);
      const d = new Device(short.url, busy.token);
      const until = Date.now() + 4500;
      while (Date.now() < until) {
        expect((await d.sync()).status).toBe(200);
        await sleep(400);
      }
      expect((await call(short.url, 'GET', '/v1/me', { token: idle.token })).status).toBe(401);
      expect((await call(short.url, 'GET', '/v1/me', { token: busy.token })).status).toBe(200);
    } finally {
      await short.close();
    }
  });
});

describe('sign out everywhere', () => {
  it('POST /v1/auth/logout-all revokes every token of the user, and only theirs', async () => {
    const u = await signup(s.url);
    const laptop = await login(s.url, u.email);
    const phone = await login(second.url, u.email);
    const stranger = await signup(s.url);
    const r = await call(s.url, 'POST', '/v1/auth/logout-all', { token: laptop });
    expect(r.status).toBe(204);
    for (const t of [u.token, laptop, phone]) expect(await statuses(s.url, t)).toEqual(ALL_401);
    expect(await statuses(second.url, phone)).toEqual(ALL_401);
    expect((await call(s.url, 'GET', '/v1/me', { token: stranger.token })).status).toBe(200);
    expect((await call(s.url, 'POST', '/v1/auth/logout-all', { token: laptop })).status).toBe(401);
    // Signing in again works.
    expect(
      (await call(s.url, 'GET', '/v1/me', { token: await login(s.url, u.email) })).status,
    ).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('documents POST /v1/auth/logout-all: bearer or the session cookie with the CSRF header, 204, 401, 403', async () => {
    const r = await call<{
      paths: Record<
        string,
        Record<string, { security?: unknown; responses: Record<string, unknown> }>
      >;
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
    }>(s.url, 'GET', '/openapi.json');
    const op = r.body.paths['/v1/auth/logout-all']?.post;
    expect(op?.security).toEqual([{ bearer: [] }, { sessionCookie: [], csrfHeader: [] }]);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['204', '401', '403']);
    // A read needs no CSRF header.
    expect(r.body.paths['/v1/me']?.get?.security).toEqual([{ bearer: [] }, { sessionCookie: [] }]);
    const schemes = r.body.components.securitySchemes;
    expect(schemes.sessionCookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'ferry_session',
    });
    expect(schemes.csrfHeader).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-ferry-csrf',
    });
  });
});

describe('open event streams', () => {
  it('end within a second of their token being revoked through another server process', async () => {
    const u = await signup(s.url);
    const other = await login(s.url, u.email);
    const a = await new SseReader().open(s.url, u.token);
    const b = await new SseReader().open(s.url, other);
    await a.waitFor((r) => r.pokes().length === 1);
    await b.waitFor((r) => r.pokes().length === 1);
    expect((await call(second.url, 'POST', '/v1/auth/logout', { token: other })).status).toBe(204);
    expect(await b.endsWithin(1000)).toBe(true);
    // The user's other stream stays open.
    const beats = a.comments.length;
    await a.waitFor((r) => r.comments.length > beats + 2);
    expect(await a.endsWithin(0)).toBe(false);
    const c = await new SseReader().open(second.url, u.token);
    expect(c.status).toBe(200);
    expect((await call(second.url, 'POST', '/v1/auth/logout-all', { token: u.token })).status).toBe(
      204,
    );
    expect(await a.endsWithin(1000)).toBe(true);
    expect(await c.endsWithin(1000)).toBe(true);
  });

  it('end when their token reaches its lifetime', async () => {
    const short = await createServer({
      ...ferrySchema,
      port: 0,
      logLevel: 'silent',
      databaseUrl: s.dbUrl,
      tokenLifetimeMs: 2000,
    });
    try {
      const u = await signup(short.url);
      const stream = await new SseReader().open(short.url, u.token);
      expect(stream.status).toBe(200);
      expect(await stream.endsWithin(500)).toBe(false);
      expect(await stream.endsWithin(2500)).toBe(true);
      expect((await call(short.url, 'GET', '/v1/me', { token: u.token })).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});
