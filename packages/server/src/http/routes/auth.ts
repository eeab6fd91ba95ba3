import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  AuthResponse,
  ErrorEnvelope,
  Limits,
  LoginRequest,
  MeResponse,
  SignupRequest,
} from '@ferry/protocol';
import { dummyVerify, hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { issueToken, revokeToken } from '../../auth/tokens.ts';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';
import { fail } from '../errors.ts';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 429: ErrorEnvelope };
const bearer = [{ bearer: [] }];

/** Emails are unique case-insensitively; they are kept as typed, compared lowercased. */
function normalizeEmail(email: string): string {
  return email.trim();
}

/** PostgreSQL text cannot hold U+0000: refuse it as a bad request rather than fail in SQL. */
function refuseNul(fields: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value?.includes('\u0000')) fail('invalid_request', `body/${name} contains a NUL character`);
  }
}

/** Signup, login, logout and `/v1/me`. */
export function authRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db, throttle } = deps;

  app.post(
    '/v1/auth/signup',
    {
      schema: {
        tags: ['auth'],
        body: SignupRequest,
        response: { 201: AuthResponse, 409: ErrorEnvelope, ...errors },
      },
    },
    async (req, reply) => {
      const body = req.body as SignupRequest;
      refuseNul({ email: body.email });
      if (body.password.length < Limits.minPasswordLength) {
        fail(
          'invalid_request',
          `body/password must be at least ${Limits.minPasswordLength} characters`,
        );
      }
      const email = normalizeEmail(body.email);
      const taken = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
      if (taken.length > 0) fail('email_taken', 'an account with this email exists');
      const passwordHash = await hashPassword(body.password);
      const userId = randomUUID();
      const token = await db.transaction(async (tx) => {
        try {
          await tx.query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', [
            userId,
            email,
            passwordHash,
          ]);
        } catch (err) {
          if ((err as { code?: string }).code === '23505')
            fail('email_taken', 'an account with this email exists');
          throw err;
        }
        return issueToken(tx, userId, null);
      });
      return reply.code(201).send({ userId, token });
    },
  );

  app.post(
    '/v1/auth/login',
    {
      schema: { tags: ['auth'], body: LoginRequest, response: { 200: AuthResponse, ...errors } },
    },
    async (req) => {
      const body = req.body as LoginRequest;
      refuseNul({ email: body.email, deviceName: body.deviceName });
      const email = normalizeEmail(body.email);
      const key = `${email.toLowerCase()}\u0000${req.ip}`;
      const wait = throttle.retryAfter(key);
      if (wait > 0) fail('rate_limited', 'too many failed logins; try again later', wait);
      const rows = await db.query<{ id: string; password_hash: string }>(
        'SELECT id::text AS id, password_hash FROM users WHERE lower(email) = lower($1)',
        [email],
      );
      const user = rows[0];
      let ok = false;
      if (user) ok = await verifyPassword(user.password_hash, body.password);
      else await dummyVerify(body.password);
      if (!user || !ok) {
        throttle.fail(key);
        fail('invalid_credentials', 'wrong email or password');
      }
      throttle.succeed(key);
      const token = await issueToken(db, user.id, body.deviceName ?? null);
      return { userId: user.id, token };
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        security: bearer,
        response: { 204: { type: 'null' }, 401: ErrorEnvelope },
      },
    },
    async (req, reply) => {
      const caller = await authenticate(db, req);
      await revokeToken(db, caller.token);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        security: bearer,
        response: { 200: MeResponse, 401: ErrorEnvelope },
      },
    },
    async (req) => {
      const caller = await authenticate(db, req);
      const rows = await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [
        caller.userId,
      ]);
      const row = rows[0];
      if (!row) fail('unauthorized', 'the user no longer exists');
      return { userId: caller.userId, email: row.email };
    },
  );
}
