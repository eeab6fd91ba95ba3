import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database.ts';
import { userForToken, type TokenPolicy } from '../auth/tokens.ts';
import { fail } from './errors.ts';

/** The caller, from `Authorization: Bearer <token>`. */
export interface Caller {
  readonly userId: string;
  readonly token: string;
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{1,512}=*)$/i;

/** The bearer token of a request, or 401 when there is none. */
export function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
  if (!m) fail('unauthorized', 'missing or malformed Authorization: Bearer token');
  return m[1]!;
}

/** Callers already resolved, per request: a request is authenticated once (see auth-hook.ts). */
const resolved = new WeakMap<FastifyRequest, Caller>();

/**
 * Resolves the bearer token to its user, or throws 401 (unknown, revoked or expired). The answer
 * is kept with the request, so the handler of a route authenticated before its body was read
 * gets it without a second query.
 */
export async function authenticate(
  db: Queryable,
  req: FastifyRequest,
  policy: TokenPolicy,
): Promise<Caller> {
  const known = resolved.get(req);
  if (known !== undefined) return known;
  const token = bearerToken(req);
  const userId = await userForToken(db, token, policy);
  if (userId === null) fail('unauthorized', 'unknown, revoked or expired token');
  const caller = { userId, token };
  resolved.set(req, caller);
  return caller;
}
