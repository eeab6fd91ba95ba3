/**
 * The web shell's cookie session seams on their own (the whole flow runs in Chromium in
 * session.test.ts): what the engine is handed, what goes on the wire, and what is refused.
 */
import type { HttpFn, HttpRequest, HttpResponse } from '@ferry/client';
import { describe, expect, it } from 'vitest';
import { cookieSession } from '../src/cookie-session.ts';

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
});
