/**
 * The web shell's cookie session seams on their own (the whole flow runs in Chromium in
 * session.test.ts): what the engine is handed, what goes on the wire, and what is refused.
 */
import type { HttpFn, HttpRequest, HttpResponse } from '@ferry/client';
import { describe, expect, it } from 'vitest';
import { cookieSession } from '../src/cookie-session.ts';
import { memoryStore, PENDING_SIGN_OUT_KEY } from '../src/pending-sign-out.ts';

const ORIGIN = 'http://127.0.0.1:8787';

/** The part of a Document the seams use; `cookie` writes are recorded, not applied. */
function fakeDocument(cookie: string): Document & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    location: { origin: ORIGIN },
    get cookie() {
      return cookie;
    },
    set cookie(v: string) {
      writes.push(v);
      if (/Max-Age=0/.test(v)) cookie = '';
    },
  } as unknown as Document & { writes: string[] };
}

/** An HttpFn that records requests and answers `answer`. */
function recorder(answer: HttpResponse): HttpFn & { seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  const fn = (req: HttpRequest): Promise<HttpResponse> => {
    seen.push(req);
    return Promise.resolve(answer);
  };
  return Object.assign(fn, { seen });
}

const ok = (body: unknown, status = 200): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});

describe('cookieSession', () => {
  it('hands the engine a placeholder, never a token, while the CSRF cookie exists', async () => {
    const signedIn = cookieSession(fakeDocument('a=1; ferry_csrf=abc; b=2'));
    const token = await signedIn.tokenStore.get();
    expect(token).toBe('cookie-session');
    await expect(signedIn.tokenStore.set('a-real-token')).rejects.toThrow(/keeps no token/);
    expect(await cookieSession(fakeDocument('a=1')).tokenStore.get()).toBeNull();
    expect(await cookieSession(fakeDocument('__Host-ferry_csrf=x')).tokenStore.get()).toBe(
      'cookie-session',
    );
  });

  it('sends the CSRF header instead of Authorization', async () => {
    const base = recorder(ok({ ok: true }));
    const s = cookieSession(fakeDocument('ferry_csrf=abc'), base);
    await s.http({
      method: 'POST',
      url: `${ORIGIN}/v1/sync`,
      headers: { authorization: 'Bearer cookie-session', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(base.seen[0]?.headers).toEqual({
      'content-type': 'application/json',
      'x-ferry-csrf': 'abc',
    });
  });

  it('signs in for a cookie and gives the engine the placeholder as the token', async () => {
    const userId = '0193a1c3-0000-7000-8000-000000000001';
    const base = recorder(ok({ userId, session: 'cookie', csrf: 'abc' }, 201));
    const s = cookieSession(fakeDocument(''), base);
    const res = await s.http({
      method: 'POST',
      url: `${ORIGIN}/v1/auth/signup`,
      headers: {},
      body: JSON.stringify({ email: 'a@example.com', password: 'p' }),
    });
    expect(JSON.parse(base.seen[0]!.body!)).toEqual({
      email: 'a@example.com',
      password: 'p',
      session: 'cookie',
    });
    expect(JSON.parse(res.body)).toEqual({ userId, token: 'cookie-session' });
  });

  it('never passes on a token a server put in the body', async () => {
    const base = recorder(ok({ userId: 'u', token: 'secret' }));
    const s = cookieSession(fakeDocument(''), base);
    const res = await s.http({
      method: 'POST',
      url: `${ORIGIN}/v1/auth/login`,
      headers: {},
      body: '{}',
    });
    expect(res.body).not.toContain('secret');
  });

  it('talks to its own origin only', async () => {
    const base = recorder(ok({}));
    const s = cookieSession(fakeDocument('ferry_csrf=abc'), base);
    await expect(
      s.http({ method: 'POST', url: 'https://elsewhere.example/v1/auth/login', headers: {} }),
    ).rejects.toThrow(/served by/);
    expect(base.seen).toEqual([]);
  });

  it('signing out drops the readable cookie, both names', async () => {
    const doc = fakeDocument('ferry_csrf=abc');
    const s = cookieSession(doc);
    await s.tokenStore.set(null);
    expect(doc.writes).toEqual([
      'ferry_csrf=; Max-Age=0; Path=/; SameSite=Strict',
      '__Host-ferry_csrf=; Max-Age=0; Path=/; SameSite=Strict; Secure',
    ]);
    expect(await s.tokenStore.get()).toBeNull();
  });

  describe('a sign-out the server did not hear', () => {
    /** An HttpFn that fails like a cut network until `online` is set, then answers `status`. */
    function network(status: number): HttpFn & { seen: HttpRequest[]; online: boolean } {
      const net = Object.assign(
        (req: HttpRequest): Promise<HttpResponse> => {
          net.seen.push(req);
          if (!net.online) return Promise.reject(new TypeError('Failed to fetch'));
          return Promise.resolve({ status, headers: {}, body: '{}' });
        },
        { seen: [] as HttpRequest[], online: false },
      );
      return net;
    }
    const signOut = { method: 'POST', url: `${ORIGIN}/v1/auth/logout`, headers: {} } as const;

    it('is kept offline and posted with the old CSRF value once the server answers', async () => {
      const net = network(204);
      const store = memoryStore();
      const doc = fakeDocument('ferry_csrf=abc');
      const s = cookieSession(doc, net, undefined, store);
      await expect(s.http(signOut)).rejects.toThrow(/Failed to fetch/);
      await s.tokenStore.set(null);
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBe('abc');

      await s.flushSignOut();
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBe('abc');
      net.online = true;
      await s.flushSignOut();
      expect(net.seen.at(-1)).toMatchObject({ ...signOut, headers: { 'x-ferry-csrf': 'abc' } });
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBeNull();
      await s.flushSignOut();
      expect(net.seen).toHaveLength(3);
    });

    it('goes before a sign-in, which would replace the cookie', async () => {
      const net = network(204);
      const store = memoryStore();
      const s = cookieSession(fakeDocument('ferry_csrf=abc'), net, undefined, store);
      await expect(s.http(signOut)).rejects.toThrow();
      net.online = true;
      await s.http({ method: 'POST', url: `${ORIGIN}/v1/auth/login`, headers: {}, body: '{}' });
      expect(net.seen.map((r) => new URL(r.url).pathname)).toEqual([
        '/v1/auth/logout',
        '/v1/auth/logout',
        '/v1/auth/login',
      ]);
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBeNull();
    });

    it.each([
      [401, null],
      [403, null],
      [503, 'abc'],
    ])('after a %i answer is %s', async (status, left) => {
      const net = network(status);
      const store = memoryStore();
      store.setItem(PENDING_SIGN_OUT_KEY, 'abc');
      net.online = true;
      await cookieSession(fakeDocument(''), net, undefined, store).flushSignOut();
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBe(left);
    });

    it('is not kept when the server heard it', async () => {
      const net = network(204);
      net.online = true;
      const store = memoryStore();
      const s = cookieSession(fakeDocument('ferry_csrf=abc'), net, undefined, store);
      await s.http(signOut);
      expect(store.getItem(PENDING_SIGN_OUT_KEY)).toBeNull();
    });
  });
});
