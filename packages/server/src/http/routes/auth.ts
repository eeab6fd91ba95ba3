import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AuthResponse,
  CookieAuthResponse,
  codePointCount,
  ErrorEnvelope,
  Limits,
  LoginRequest,
  MeResponse,
  SignupRequest,
} from '@ferry/protocol';
import { dummyVerify, hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { addressKey } from '../../auth/address.ts';
import { normalizeEmail } from '../../auth/email.ts';
import { issueToken, revokeAllTokens, revokeToken } from '../../auth/tokens.ts';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';
import { fail } from '../errors.ts';
import { clearSessionCookies, setSessionCookies, type CookiePolicy } from '../session-cookie.ts';
import { readSecurity, writeSecurity } from '../security.ts';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 429: ErrorEnvelope };
const signedIn = Type.Union([AuthResponse, CookieAuthResponse], {
  description: 'the token; with `session: "cookie"`, the CSRF value and the token in a cookie',
});
const signedOut = {
  204: { type: 'null' },
  401: ErrorEnvelope,
  403: ErrorEnvelope,
};

/**
 * The answer to a signup or login: the token in the body, or with `session: "cookie"` (the web
 * app) in an HttpOnly cookie, the body then carrying only the CSRF value (session-cookie.ts).
 */
function signedInAs(
  req: FastifyRequest,
  reply: FastifyReply,
  policy: CookiePolicy,
  userId: string,
  token: string,
  session: SignupRequest['session'],
): AuthResponse | CookieAuthResponse {
  if (session !== 'cookie') return { userId, token };
  return { userId, session: 'cookie', csrf: setSessionCookies(req, reply, policy, token) };
}

/** The key an email is found by (see auth/email.ts); 400 when normalizing made it too long. */
function emailKey(email: string): string {
  const key = normalizeEmail(email);
  if (key.length > Limits.maxEmailLength)
    fail('invalid_request', `body/email must be at most ${Limits.maxEmailLength} characters`);
  return key;
}

/** PostgreSQL text cannot hold U+0000: refuse it as a bad request rather than fail in SQL. */
function refuseNul(fields: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value?.includes('\u0000')) fail('invalid_request', `body/${name} contains a NUL character`);
  }
}

/** Signup, login, logout (one device or all) and `/v1/me`. */
export function authRoutes(untyped: FastifyInstance, deps: AppDeps): void {
  // `req.body` typed from the route schemas (types only: Ajv still validates).
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>();
  const { db, throttle, config } = deps;

  app.post(
    '/v1/auth/signup',
    {
      schema: {
        tags: ['auth'],
        body: SignupRequest,
        response: { 201: signedIn, 409: ErrorEnvelope, ...errors },
      },
    },
    async (req, reply) => {
      const body = req.body;
      refuseNul({ email: body.email, deviceName: body.deviceName });
      // The schema's minLength says the same (Ajv counts code points too); '😀😀😀😀' is 4.
      if (codePointCount(body.password) < Limits.minPasswordLength) {
        fail(
          'invalid_request',
          `body/password must be at least ${Limits.minPasswordLength} characters`,
        );
      }
      const email = body.email.trim();
      const key = emailKey(email);
      const taken = await db.query('SELECT 1 FROM users WHERE email_key = $1', [key]);
      if (taken.length > 0) fail('email_taken', 'an account with this email exists');
      const passwordHash = await hashPassword(body.password);
      const userId = randomUUID();
      const token = await db.transaction(async (tx) => {
        try {
          await tx.query(
            'INSERT INTO users (id, email, email_key, password_hash) VALUES ($1, $2, $3, $4)',
            [userId, email, key, passwordHash],
          );
        } catch (err) {
          if ((err as { code?: string }).code === '23505')
            fail('email_taken', 'an account with this email exists');
          throw err;
        }
        return issueToken(tx, userId, body.deviceName ?? null);
      });
      await throttle.remember(userId, addressKey(req.ip));
      return reply.code(201).send(signedInAs(req, reply, config, userId, token, body.session));
    },
  );

  app.post(
    '/v1/auth/login',
    {
      schema: { tags: ['auth'], body: LoginRequest, response: { 200: signedIn, ...errors } },
    },
    async (req, reply) => {
      const body = req.body;
      refuseNul({ email: body.email, deviceName: body.deviceName });
      const key = emailKey(body.email);
      const address = addressKey(req.ip);
      const user = await throttle.account(key, address);
      // Counted before the (slow) password check, so parallel attempts cannot all get through.
      const attempt = await throttle.attempt(key, address, user?.known ?? false);
      if (attempt.retryAfter > 0)
        fail('rate_limited', 'too many failed logins; try again later', attempt.retryAfter);
      let ok = false;
      if (user) ok = await verifyPassword(user.passwordHash, body.password);
      else await dummyVerify(body.password);
      if (!user || !ok) fail('invalid_credentials', 'wrong email or password');
      await throttle.succeeded(attempt, user.id, address);
      const token = await issueToken(db, user.id, body.deviceName ?? null);
      return signedInAs(req, reply, config, user.id, token, body.session);
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        security: writeSecurity,
        response: signedOut,
      },
    },
    async (req, reply) => {
      const caller = await authenticate(deps.tokens, req, config);
      await revokeToken(db, caller.token);
      if (caller.viaCookie) clearSessionCookies(req, reply, config);
      // This process refuses it at once; the others when the revocation's NOTIFY reaches them.
      deps.tokens.forget(caller.token);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/auth/logout-all',
    {
      schema: {
        tags: ['auth'],
        security: writeSecurity,
        description:
          'Sign out everywhere: revokes every token of the caller (this one too) and ends their open event streams. An extension of protocol v1.',
        response: signedOut,
      },
    },
    async (req, reply) => {
      const caller = await authenticate(deps.tokens, req, config);
      await revokeAllTokens(db, caller.userId);
      if (caller.viaCookie) clearSessionCookies(req, reply, config);
      deps.tokens.forgetUser(caller.userId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        security: readSecurity,
        response: { 200: MeResponse, 401: ErrorEnvelope, 403: ErrorEnvelope },
      },
    },
    async (req) => {
      const caller = await authenticate(deps.tokens, req, config);
      const rows = await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [
        caller.userId,
      ]);
      const row = rows[0];
      if (!row) fail('unauthorized', 'the user no longer exists');
      return { userId: caller.userId, email: row.email };
    },
  );
}
