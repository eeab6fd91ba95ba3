import type { FastifyRequest } from 'fastify';
import type { TokenCache } from '../auth/token-cache.ts';
import { fail } from './errors.ts';
import { checkCookieRequest, cookieToken, type CookiePolicy } from './session-cookie.ts';

/** The caller, from `Authorization: Bearer <token>` or the web app's session cookie. */
export interface Caller {
  readonly userId: string;
  readonly token: string;
  /** The token came in the session cookie (session-cookie.ts), not in `Authorization`. */
  readonly viaCookie: boolean;
  /** The device name the token's login gave (null: none). */
  readonly deviceName: string | null;
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{1,512}=*)$/i;

/** The bearer token of a request, or 401 when there is none. */
export function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
  if (!m) fail('unauthorized', 'missing or malformed Authorization: Bearer token');
  return m[1]!;
}

/**
 * The request's token and where it came from. `Authorization` wins: a request that has one is
 * a bearer request whatever cookies it carries. Otherwise the session cookie, checked for its
 * origin and CSRF value (403); neither is 401.
 */
function credential(
  req: FastifyRequest,
  policy: CookiePolicy,
): { token: string; viaCookie: boolean } {
  if (req.headers.authorization === undefined) {
    const token = cookieToken(req, policy);
    if (token !== undefined) {
      checkCookieRequest(req, token);
      return { token, viaCookie: true };
    }
  }
  return { token: bearerToken(req), viaCookie: false };
}

/** Callers already resolved, per request: a request is authenticated once (see auth-hook.ts). */
const resolved = new WeakMap<FastifyRequest, Caller>();

/**
 * Resolves the request's token (bearer, or the session cookie) to its user, or throws 401
 * (unknown, revoked or expired) or 403 (a cookie request that fails its checks). The answer
 * is kept with the request, so the handler of a route authenticated before its body was read
 * gets it without asking again.
 */
export async function authenticate(
  tokens: TokenCache,
  req: FastifyRequest,
  policy: CookiePolicy,
): Promise<Caller> {
  const known = resolved.get(req);
  if (known !== undefined) return known;
  const { token, viaCookie } = credential(req, policy);
  const owner = await tokens.userFor(token);
  if (owner === null) fail('unauthorized', 'unknown, revoked or expired token');
  const caller = { ...owner, token, viaCookie };
  resolved.set(req, caller);
  return caller;
}
