import type { FastifyRequest } from 'fastify';
import type { TokenCache, TokenOwner } from '../auth/token-cache.ts';
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller once resolved: a request is authenticated once (see auth-hook.ts). */
    ferryCaller: Caller | null;
  }
}

/**
 * Resolves the request's token (bearer, or the session cookie) to its user, or throws 401
 * (unknown, revoked or expired) or 403 (a cookie request that fails its checks). The answer
 * is kept with the request (`ferryCaller`), so the handler of a route authenticated before its
 * body was read gets it without asking again. Answers at once when the token is in memory
 * (token-cache.ts), else with a promise of the database's answer.
 */
export function authenticated(
  tokens: TokenCache,
  req: FastifyRequest,
  policy: CookiePolicy,
): Caller | Promise<Caller> {
  const known = req.ferryCaller;
  if (known) return known;
  const { token, viaCookie } = credential(req, policy);
  const owner = tokens.resolve(token);
  return owner instanceof Promise
    ? owner.then((o) => keep(req, o, token, viaCookie))
    : keep(req, owner, token, viaCookie);
}

/** `authenticated`, always as a promise. */
export async function authenticate(
  tokens: TokenCache,
  req: FastifyRequest,
  policy: CookiePolicy,
): Promise<Caller> {
  return authenticated(tokens, req, policy);
}

function keep(
  req: FastifyRequest,
  owner: TokenOwner | null,
  token: string,
  viaCookie: boolean,
): Caller {
  if (owner === null) fail('unauthorized', 'unknown, revoked or expired token');
  const caller = { userId: owner.userId, deviceName: owner.deviceName, token, viaCookie };
  req.ferryCaller = caller;
  return caller;
}
