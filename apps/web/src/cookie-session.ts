/**
 * The web app's session, held by the browser in the server's HttpOnly cookie (docs/web.md,
 * "Sessions"; the wire in docs/protocol.md, "Cookie sessions"): no script on the page, this
 * one included, ever holds the token. As in the desktop shell, the engine's TokenStore holds only
 * a placeholder that means "signed in"; the HttpFn here turns the placeholder's
 * `Authorization` into the session's CSRF header and lets the browser send the cookie, and turns
 * signup and login into cookie sign-ins whose answers carry no token.
 */
import {
  fetchEventSource,
  fetchHttp,
  type EventSourceFn,
  type HttpFn,
  type HttpRequest,
  type HttpResponse,
  type TokenStore,
} from '@ferry/client';
import { CSRF_HEADER, SessionCookie } from '@ferry/protocol';
import { memoryStore, pendingSignOut, type PendingStore } from './pending-sign-out.ts';

/** What the engine is given in place of a token. */
const PLACEHOLDER = 'cookie-session';
const SIGN_IN = /\/v1\/auth\/(signup|login)$/;
const SIGN_OUT = '/v1/auth/logout';
const CSRF_NAMES = [SessionCookie.securePrefix + SessionCookie.csrf, SessionCookie.csrf];

/** The engine's seams for a page that keeps its session in the server's cookie. */
export interface CookieSession {
  tokenStore: TokenStore;
  http: HttpFn;
  eventSource: EventSourceFn;
  /** Posts a sign-out made while the server was unreachable (`pending-sign-out.ts`), if any. */
  flushSignOut(): Promise<void>;
}

/** The session's CSRF value from the readable cookie, or null when signed out. */
function csrfValue(doc: Document): string | null {
  for (const part of doc.cookie.split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq > 0 && CSRF_NAMES.includes(name) && value !== '') return value;
  }
  return null;
}

/** Drops the readable cookie (the server drops both when it is reached). */
function forgetCsrf(doc: Document): void {
  doc.cookie = `${SessionCookie.csrf}=; Max-Age=0; Path=/; SameSite=Strict`;
  doc.cookie = `${SessionCookie.securePrefix}${SessionCookie.csrf}=; Max-Age=0; Path=/; SameSite=Strict; Secure`;
}

/** The request's headers without the placeholder's `Authorization`, plus the CSRF header. */
function sessionHeaders(doc: Document, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'authorization') out[k] = v;
  const csrf = csrfValue(doc);
  if (csrf !== null) out[CSRF_HEADER] = csrf;
  return out;
}

/** A cookie sign-in's answer as the engine expects a sign-in's: the placeholder as the token. */
function asSignIn(res: HttpResponse): HttpResponse {
  if (res.status < 200 || res.status >= 300) return res;
  const body = JSON.parse(res.body) as { userId?: unknown; session?: unknown };
  // A server without cookie sessions would have sent a token: leave it out, so the engine
  // reports a malformed answer rather than the page holding it.
  if (body.session !== 'cookie') return { ...res, body: JSON.stringify({ userId: body.userId }) };
  return { ...res, body: JSON.stringify({ userId: body.userId, token: PLACEHOLDER }) };
}

/**
 * The TokenStore, HttpFn and EventSourceFn of a page served by its Ferry server. Requests go only
 * to the page's own origin: the cookie is the server's, and another server has no session here.
 * A sign-out the server does not hear is kept in `pending` and posted later.
 */
export function cookieSession(
  doc: Document,
  base: HttpFn = fetchHttp,
  events: EventSourceFn = fetchEventSource,
  pending: PendingStore = memoryStore(),
): CookieSession {
  const origin = doc.location.origin;
  const later = pendingSignOut(pending, origin, base);
  const signOut = async (req: HttpRequest, csrf: string | null): Promise<HttpResponse> => {
    try {
      const res = await base(req);
      if (res.status >= 500 && csrf !== null) later.remember(csrf);
      return res;
    } catch (err) {
      if (csrf !== null) later.remember(csrf);
      throw err;
    }
  };
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    const url = new URL(req.url);
    if (url.origin !== origin)
      throw new Error(`the web app signs in to the server it is served by (${origin}) only`);
    const out: HttpRequest = { ...req, headers: sessionHeaders(doc, req.headers) };
    if (url.pathname === SIGN_OUT) return signOut(out, csrfValue(doc));
    if (!SIGN_IN.test(url.pathname)) return base(out);
    // Before the new cookie replaces the old one, whose token could not be revoked after it.
    await later.flush();
    const body = JSON.parse(req.body ?? '{}') as Record<string, unknown>;
    return asSignIn(await base({ ...out, body: JSON.stringify({ ...body, session: 'cookie' }) }));
  };
  return {
    tokenStore: {
      get: () => Promise.resolve(csrfValue(doc) === null ? null : PLACEHOLDER),
      set(token) {
        if (token === null) forgetCsrf(doc);
        else if (token !== PLACEHOLDER)
          return Promise.reject(new Error('the web app keeps no token: its session is a cookie'));
        return Promise.resolve();
      },
    },
    http: base.codings === undefined ? http : Object.assign(http, { codings: base.codings }),
    eventSource: (req) => events({ ...req, headers: sessionHeaders(doc, req.headers) }),
    flushSignOut: () => later.flush(),
  };
}
