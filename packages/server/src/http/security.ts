/**
 * How the OpenAPI document states authentication: a bearer token (every client), or the session
 * cookie of the same-origin web app (session-cookie.ts), which also needs the CSRF header on any
 * method but GET and HEAD. Over TLS the cookie is named with the `__Host-` prefix.
 */
import { CSRF_HEADER, SessionCookie } from '@ferry/protocol';

export const securitySchemes = {
  bearer: { type: 'http', scheme: 'bearer' },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SessionCookie.session,
    description: `The web app's HttpOnly session cookie, set by signup or login with \`session: "cookie"\` (\`${SessionCookie.securePrefix}${SessionCookie.session}\` over TLS). Refused (403) from another origin. Ignored when the request has an Authorization header.`,
  },
  csrfHeader: {
    type: 'apiKey',
    in: 'header',
    name: CSRF_HEADER,
    description: `With the session cookie, on any method but GET and HEAD: the session's CSRF value (the readable \`${SessionCookie.csrf}\` cookie); missing or wrong is 403.`,
  },
} as const;

/** An operation that reads (GET): a bearer token, or the session cookie. */
export const readSecurity = [{ bearer: [] }, { sessionCookie: [] }];

/** An operation that changes something: a bearer token, or the session cookie with the CSRF header. */
export const writeSecurity = [{ bearer: [] }, { sessionCookie: [], csrfHeader: [] }];
