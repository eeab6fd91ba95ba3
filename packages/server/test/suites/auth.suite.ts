import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backends.ts';
import { call, signup, startTestServer, type TestServer } from '../helpers.ts';
import { anyString } from '../helpers.ts';

/** Signup, login, logout, `/v1/me`, throttling. */
export function authSuite(backend: Backend): void {
  describe(`auth [${backend.name}]`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer({ loginFailuresPerMinute: 10 }, backend.makeDb);
    });
    afterAll(async () => {
      await s.close();
    });

    it('signs up, logs in per device, and each token is its own', async () => {
      const u = await signup(s.url, `Mixed.Case-${Date.now()}@Example.com`);
      const login = await call<{ userId: string; token: string }>(s.url, 'POST', '/v1/auth/login', {
        body: {
          email: u.email.toLowerCase(),
          password: 'correct horse battery',
          deviceName: 'laptop',
        },
      });
      expect(login.status).toBe(200);
      expect(login.body.userId).toBe(u.userId);
      expect(login.body.token).not.toBe(u.token);
      expect(Buffer.from(login.body.token, 'base64url').length).toBeGreaterThanOrEqual(32);
      const me = await call<{ userId: string; email: string }>(s.url, 'GET', '/v1/me', {
        token: login.body.token,
      });
      expect(me.body).toEqual({ userId: u.userId, email: u.email });
      // Logging out one device leaves the other signed in.
      expect(
        (await call(s.url, 'POST', '/v1/auth/logout', { token: login.body.token })).status,
      ).toBe(204);
      expect((await call(s.url, 'GET', '/v1/me', { token: login.body.token })).status).toBe(401);
      expect((await call(s.url, 'GET', '/v1/me', { token: u.token })).status).toBe(200);
    });

    it('keeps emails unique whatever their case (409 email_taken)', async () => {
      const u = await signup(s.url);
      const r = await call(s.url, 'POST', '/v1/auth/signup', {
        body: { email: u.email.toUpperCase(), password: 'another password' },
      });
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ error: { code: 'email_taken', message: anyString } });
    });

    it('rejects short passwords and malformed emails with 400', async () => {
      const short = await call<{ error: { code: string; message: string } }>(
        s.url,
        'POST',
        '/v1/auth/signup',
        { body: { email: 'x@y.z', password: 'short' } },
      );
      expect(short.status).toBe(400);
      expect(short.body.error.code).toBe('invalid_request');
      expect(short.body.error.message).toContain('password');
      const bad = await call<{ error: { code: string; message: string } }>(
        s.url,
        'POST',
        '/v1/auth/signup',
        { body: { email: 'not-an-email', password: 'long enough' } },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('email');
    });

    it('answers a NUL character in an email or device name with 400, not 500', async () => {
      for (const [path, body] of [
        ['/v1/auth/signup', { email: 'a\u0000b@example.com', password: 'long enough' }],
        ['/v1/auth/login', { email: 'a\u0000b@example.com', password: 'long enough' }],
        [
          '/v1/auth/login',
          { email: 'a@example.com', password: 'long enough', deviceName: 'x\u0000' },
        ],
      ] as const) {
        const r = await call<{ error: { code: string } }>(s.url, 'POST', path, { body });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('invalid_request');
      }
    });

    it('answers unknown email and wrong password alike', async () => {
      const u = await signup(s.url);
      const wrong = await call(s.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password: 'wrong password' },
      });
      const unknown = await call(s.url, 'POST', '/v1/auth/login', {
        body: { email: `nobody-${Date.now()}@example.com`, password: 'wrong password' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: anyString } });
    });

    it('throttles the 11th failed login a minute with 429 and Retry-After; other accounts are unaffected', async () => {
      const u = await signup(s.url);
      for (let i = 0; i < 10; i++) {
        expect(
          (
            await call(s.url, 'POST', '/v1/auth/login', {
              body: { email: u.email, password: `wrong ${i}` },
            })
          ).status,
        ).toBe(401);
      }
      const limited = await call(s.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password: 'correct horse battery' },
      });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { code: 'rate_limited', message: anyString } });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await signup(s.url);
      expect(
        (
          await call(s.url, 'POST', '/v1/auth/login', {
            body: { email: other.email, password: 'correct horse battery' },
          })
        ).status,
      ).toBe(200);
    });
  });
}
