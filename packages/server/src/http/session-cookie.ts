/**
 * The web app's session in a cookie (an extension of protocol 1: docs/protocol.md, "Cookie
 * sessions"). The app is served by this server, so it can hold its session the way the desktop
 * app does, out of reach of the page's scripts: signup and login with `session: "cookie"` put
 * the token in an `HttpOnly; SameSite=Strict; Path=/` cookie (`Secure` and `__Host-` over TLS),
 * and a readable second cookie holds the session's CSRF value.
 *
 * A request authenticated by the cookie (one without `Authorization`) is refused `403 forbidden`
 * when it comes from another origin (`Origin` or `Sec-Fetch-Site` say so) and, for any method
 * but GET/HEAD, unless it carries `X-Ferry-CSRF` with the session's CSRF value: an HMAC of the
 * token (so it is bound to this session, cannot be forged by planting a cookie, and reveals
 * nothing of the token), compared in constant time. Only a script of this origin can read it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie, type SetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, SessionCookie } from '@ferry/protocol';
import { fail } from './errors.ts';

/** What the cookies' attributes depend on. */
export interface CookiePolicy {
  /** Mark the cookies Secure whatever the request came over (TLS ends at a proxy). */
  readonly secureCookies: boolean;
  /** The token's absolute lifetime (0 = none): the cookies' Max-Age. */
  readonly tokenLifetimeMs: number;
}

/** Browsers keep a cookie at most 400 days, whatever it asks for. */
const MAX_AGE_CAP_S = 400 * 24 * 60 * 60;
const TOKEN = /^[A-Za-z0-9_-]{1,512}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isSecure(req: FastifyRequest, policy: CookiePolicy): boolean {
  return policy.secureCookies || req.protocol === 'https';
}

/** The cookies' names for a request: `__Host-` prefixed where they are Secure. */
function names(secure: boolean): { session: string; csrf: string } {
  const prefix = secure ? SessionCookie.securePrefix : '';
  return { session: prefix + SessionCookie.session, csrf: prefix + SessionCookie.csrf };
}

/** The CSRF value of a session: derived from its token, one way. */
export function csrfFor(token: string): string {
  return createHmac('sha256', token).update('ferry csrf v1').digest('base64url');
}

function attributes(secure: boolean, maxAge: number): Omit<SetCookie, 'name' | 'value'> {
  return { path: '/', sameSite: 'strict', secure, maxAge };
}

/** Sets the session and CSRF cookies for `token`; returns the CSRF value. */
export function setSessionCookies(
  req: FastifyRequest,
  reply: FastifyReply,
  policy: CookiePolicy,
  token: string,
): string {
  const secure = isSecure(req, policy);
  const n = names(secure);
  const lifetime = Math.floor(policy.tokenLifetimeMs / 1000);
  const attrs = attributes(
    secure,
    lifetime > 0 ? Math.min(lifetime, MAX_AGE_CAP_S) : MAX_AGE_CAP_S,
  );
  const csrf = csrfFor(token);
  void reply.header('set-cookie', [
    stringifySetCookie({ name: n.session, value: token, httpOnly: true, ...attrs }),
    stringifySetCookie({ name: n.csrf, value: csrf, ...attrs }),
  ]);
  return csrf;
}

/** Tells the browser to drop both cookies. */
export function clearSessionCookies(
  req: FastifyRequest,
  reply: FastifyReply,
  policy: CookiePolicy,
): void {
  const secure = isSecure(req, policy);
  const n = names(secure);
  const attrs = attributes(secure, 0);
  void reply.header('set-cookie', [
    stringifySetCookie({ name: n.session, value: '', httpOnly: true, ...attrs }),
    stringifySetCookie({ name: n.csrf, value: '', ...attrs }),
  ]);
}

/** The session token in the request's cookie, if it has one. */
export function cookieToken(req: FastifyRequest, policy: CookiePolicy): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  const value = parseCookie(header)[names(isSecure(req, policy)).session];
  return value !== undefined && TOKEN.test(value) ? value : undefined;
}

/** True when the browser says the request comes from this origin (or says nothing). */
function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    // The host and port; the scheme may differ behind a proxy that terminates TLS.
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // "null" (a sandboxed frame, a file) or garbage
  }
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Refuses (403) a cookie-authenticated request from another origin, or one that may change
 * something without the session's CSRF value in `X-Ferry-CSRF`.
 */
export function checkCookieRequest(req: FastifyRequest, token: string): void {
  if (!sameOrigin(req)) fail('forbidden', 'a cookie session is accepted from its own origin only');
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameBytes(sent, csrfFor(token)))
    fail('forbidden', `a request with a cookie session needs the ${CSRF_HEADER} header`);
}
