/**
 * The same-origin web app's session: signup and login with `session: "cookie"` put the token in
 * an HttpOnly SameSite=Strict cookie (Secure over TLS or with `secureCookies`), never in the body;
 * a request authenticated by that cookie that changes anything must carry `X-Ferry-CSRF` (the
 * session's CSRF value) and may not come from another origin; bearer tokens are unchanged.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FERRY_SCHEMA_VERSION, PROTOCOL_VERSION, type Mutation } from '@ferry/protocol';
import {
  Device,
  anyString,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
} from './helpers.ts';
import { SseReader } from './sse-client.ts';

const PASSWORD = 'correct horse battery';
let n = 0;
const email = (): string => `cookie-${++n}-${Date.now().toString(36)}@example.com`;

/** One `Set-Cookie`: its name, value and attributes (lower-cased names). */
interface SetCookie {
  name: string;
  value: string;
  attrs: Map<string, string>;
}

function setCookies(headers: Headers): SetCookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const attrs = new Map<string, string>();
    for (const a of rest) {
      const i = a.indexOf('=');
      attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
  });
}

function cookieNamed(headers: Headers, name: string): SetCookie {
  const c = setCookies(headers).find((x) => x.name === name);
  if (!c) throw new Error(`no Set-Cookie ${name} in ${JSON.stringify(headers.getSetCookie())}`);
  return c;
}

/** A browser-like session: the cookies the server set, sent back as a `Cookie` header. */
interface CookieSession {
  userId: string;
  token: string;
  csrf: string;
  cookie: string;
  body: Record<string, unknown>;
  raw: string;
  headers: Headers;
}

async function cookieAuth(
  url: string,
  kind: 'signup' | 'login',
  address: string,
  names = { session: 'ferry_session', csrf: 'ferry_csrf' },
  fetchOpts: Record<string, unknown> = {},
): Promise<CookieSession> {
  const r = await fetch(`${url}/v1/auth/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: address, password: PASSWORD, session: 'cookie' }),
    ...fetchOpts,
  });
  const raw = await r.text();
  expect(r.status, raw).toBe(kind === 'signup' ? 201 : 200);
  const body = JSON.parse(raw) as Record<string, unknown>;
  const session = cookieNamed(r.headers, names.session);
  const csrf = cookieNamed(r.headers, names.csrf);
  return {
    userId: body.userId as string,
    token: session.value,
    csrf: csrf.value,
    cookie: `${names.session}=${session.value}; ${names.csrf}=${csrf.value}`,
    body,
    raw,
    headers: r.headers,
  };
}

function syncBody(clientId: string, mutations: unknown[] = []): Record<string, unknown> {
  return {
    protocol: PROTOCOL_VERSION,
    clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations,
  };
}

/** A device's first sync: its clientId and one new note. */
function firstPush(url: string): { clientId: string; mutations: Mutation[] } {
  const d = new Device(url, 'unused: the requests below carry their own credentials');
  return {
    clientId: d.clientId,
    mutations: [d.mutation('notes', newId(), 'upsert', newNote('from the cookie'))],
  };
}

describe('session cookies (web app)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('signup sets an HttpOnly SameSite=Strict session cookie and keeps the token out of the body', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    expect(c.body).toEqual({ userId: c.userId, session: 'cookie', csrf: c.csrf });
    expect(c.raw).not.toContain(c.token);
    expect(c.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const session = cookieNamed(c.headers, 'ferry_session');
    expect([...session.attrs.keys()].sort()).toEqual(['httponly', 'max-age', 'path', 'samesite']);
    expect(session.attrs.get('path')).toBe('/');
    expect(session.attrs.get('samesite')).toBe('Strict');
    expect(Number(session.attrs.get('max-age'))).toBe(365 * 24 * 60 * 60);
    // The CSRF value is for the page's script: readable, same scope, and not the token.
    const csrf = cookieNamed(c.headers, 'ferry_csrf');
    expect(csrf.attrs.has('httponly')).toBe(false);
    expect(csrf.attrs.get('samesite')).toBe('Strict');
    expect(csrf.attrs.get('path')).toBe('/');
    expect(c.csrf).not.toBe(c.token);
    expect(c.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('login sets the same cookies; the token works as a bearer token too', async () => {
    const address = email();
    await signup(s.url, address, PASSWORD);
    const c = await cookieAuth(s.url, 'login', address);
    expect(c.body).toEqual({ userId: c.userId, session: 'cookie', csrf: c.csrf });
    const me = await call(s.url, 'GET', '/v1/me', { token: c.token });
    expect(me.status).toBe(200);
  });

  it('a cookie-authenticated sync without the CSRF header, or with a wrong one, is 403 in the envelope', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    const other = await cookieAuth(s.url, 'signup', email());
    const { clientId, mutations } = firstPush(s.url);
    for (const csrf of [undefined, '', 'x', other.csrf, c.token, `${c.csrf}x`]) {
      const headers: Record<string, string> = { cookie: c.cookie };
      if (csrf !== undefined) headers['x-ferry-csrf'] = csrf;
      const r = await call(s.url, 'POST', '/v1/sync', {
        headers,
        body: syncBody(clientId, mutations),
      });
      expect(r.status, `csrf ${JSON.stringify(csrf)}`).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', message: anyString } });
    }
    // Nothing was written.
    const pulled = await call<{ changes: unknown[] }>(s.url, 'POST', '/v1/sync', {
      token: c.token,
      body: syncBody(clientId),
    });
    expect(pulled.body.changes).toEqual([]);
  });

  it('a cookie-authenticated sync with the CSRF header pushes and pulls', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    const { clientId, mutations } = firstPush(s.url);
    const headers = { cookie: c.cookie, 'x-ferry-csrf': c.csrf };
    const pushed = await call<{ results: { status: string }[] }>(s.url, 'POST', '/v1/sync', {
      headers,
      body: syncBody(clientId, mutations),
    });
    expect(pushed.status).toBe(200);
    expect(pushed.body.results.map((r) => r.status)).toEqual(['applied']);
    const pulled = await call<{ changes: unknown[] }>(s.url, 'POST', '/v1/sync', {
      headers: { ...headers, origin: s.url },
      body: syncBody(crypto.randomUUID()),
    });
    expect(pulled.status).toBe(200);
    expect(pulled.body.changes).toHaveLength(1);
    // Reads need no CSRF header.
    const me = await call(s.url, 'GET', '/v1/me', { headers: { cookie: c.cookie } });
    expect(me.status).toBe(200);
  });

  it('refuses a cookie-authenticated request from another origin, even with the CSRF header', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    const port = Number(new URL(s.url).port);
    const foreign = [
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const h of foreign) {
      const headers = { cookie: c.cookie, 'x-ferry-csrf': c.csrf, ...h };
      const sync = await call(s.url, 'POST', '/v1/sync', {
        headers,
        body: syncBody(crypto.randomUUID()),
      });
      expect(sync.status, JSON.stringify(h)).toBe(403);
      expect(sync.body).toEqual({ error: { code: 'forbidden', message: anyString } });
      const me = await call(s.url, 'GET', '/v1/me', { headers });
      expect(me.status, JSON.stringify(h)).toBe(403);
    }
    const same = await call(s.url, 'GET', '/v1/me', {
      headers: { cookie: c.cookie, origin: s.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.status).toBe(200);
  });

  it('the event stream works with the cookie', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    const stream = new SseReader();
    const r = await fetch(`${s.url}/v1/events`, { headers: { cookie: c.cookie } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await r.body?.cancel();
    // The helper reader speaks bearer; the same token, so pokes reach both kinds of stream.
    await stream.open(s.url, c.token);
    await stream.waitFor((x) => x.pokes().length === 1);
    await stream.close();
  });

  it('bearer requests are unchanged: no CSRF header needed, a stray cookie is ignored', async () => {
    const u = await signup(s.url);
    const r = await call<{ token?: string }>(s.url, 'POST', '/v1/auth/login', {
      body: { email: u.email, password: PASSWORD },
    });
    expect(r.status).toBe(200);
    expect(typeof r.body.token).toBe('string');
    expect(r.headers.getSetCookie()).toEqual([]);
    const push = firstPush(s.url);
    const sync = await call(s.url, 'POST', '/v1/sync', {
      token: u.token,
      headers: { cookie: 'ferry_session=nonsense', origin: 'https://elsewhere.example' },
      body: syncBody(push.clientId, push.mutations),
    });
    expect(sync.status).toBe(200);
  });

  it('sign-out with the cookie needs the CSRF header, then revokes the token and clears both cookies', async () => {
    const c = await cookieAuth(s.url, 'signup', email());
    const refused = await call(s.url, 'POST', '/v1/auth/logout', { headers: { cookie: c.cookie } });
    expect(refused.status).toBe(403);
    expect((await call(s.url, 'GET', '/v1/me', { token: c.token })).status).toBe(200);

    const out = await call(s.url, 'POST', '/v1/auth/logout', {
      headers: { cookie: c.cookie, 'x-ferry-csrf': c.csrf },
    });
    expect(out.status).toBe(204);
    for (const name of ['ferry_session', 'ferry_csrf']) {
      const cleared = cookieNamed(out.headers, name);
      expect(cleared.value).toBe('');
      expect(cleared.attrs.get('max-age')).toBe('0');
      expect(cleared.attrs.get('path')).toBe('/');
    }
    expect((await call(s.url, 'GET', '/v1/me', { token: c.token })).status).toBe(401);
    const after = await call(s.url, 'GET', '/v1/me', { headers: { cookie: c.cookie } });
    expect(after.status).toBe(401);
  });

  it('without a token or a cookie it is still 401', async () => {
    const r = await call(s.url, 'POST', '/v1/sync', { body: syncBody(crypto.randomUUID()) });
    expect(r.status).toBe(401);
  });
});

describe('session cookies: Secure', () => {
  it('with secureCookies, the cookies are Secure and __Host- prefixed', async () => {
    const s = await startTestServer({ secureCookies: true });
    try {
      const names = { session: '__Host-ferry_session', csrf: '__Host-ferry_csrf' };
      const c = await cookieAuth(s.url, 'signup', email(), names);
      expect(cookieNamed(c.headers, names.session).attrs.has('secure')).toBe(true);
      expect(cookieNamed(c.headers, names.csrf).attrs.has('secure')).toBe(true);
      const r = await call(s.url, 'POST', '/v1/sync', {
        headers: { cookie: c.cookie, 'x-ferry-csrf': c.csrf },
        body: syncBody(crypto.randomUUID()),
      });
      expect(r.status).toBe(200);
      // The unprefixed name is not read where cookies are Secure.
      const plain = await call(s.url, 'GET', '/v1/me', {
        headers: { cookie: `ferry_session=${c.token}` },
      });
      expect(plain.status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('over TLS, the cookies are Secure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-cookie-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ].concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );
    const s = await startTestServer({
      tlsCertPath: join(dir, 'cert.pem'),
      tlsKeyPath: join(dir, 'key.pem'),
    });
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const names = { session: '__Host-ferry_session', csrf: '__Host-ferry_csrf' };
      const c = await cookieAuth(s.url, 'signup', email(), names);
      expect(cookieNamed(c.headers, names.session).attrs.has('secure')).toBe(true);
      expect(cookieNamed(c.headers, names.session).attrs.has('httponly')).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
