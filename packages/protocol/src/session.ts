/**
 * Extension of protocol 1: the session of a web app served by the server itself, kept in an
 * HttpOnly cookie instead of handed to the page (docs/protocol.md, "Cookie sessions"). A client
 * that never sends `session` (every v1 client) gets and uses bearer tokens as before.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UUID_PATTERN } from './ids.ts';

/** The optional `session` field of a signup or login body. */
export const SessionMode = Type.Optional(
  Type.Literal('cookie', {
    description:
      'extension: "cookie" puts the session in an HttpOnly cookie and answers CookieAuthResponse (no token in the body)',
  }),
);

/** The answer to a signup or login that asked for `session: "cookie"`: no token. */
export const CookieAuthResponse = Type.Object({
  userId: Type.String({ pattern: UUID_PATTERN }),
  session: Type.Literal('cookie'),
  /** The value to send as `X-Ferry-CSRF` (also in the readable CSRF cookie). */
  csrf: Type.String(),
});
export type CookieAuthResponse = Static<typeof CookieAuthResponse>;

/**
 * The cookies' names. Where the cookies are `Secure` (over TLS, or when the server is told it is
 * behind TLS) both carry the `__Host-` prefix, which a browser accepts only from a secure origin,
 * with `Path=/` and no `Domain`: no sibling subdomain can plant one.
 */
export const SessionCookie = {
  /** HttpOnly: the session token, never readable by a page's script. */
  session: 'ferry_session',
  /** Readable by the page: the CSRF value it echoes in `X-Ferry-CSRF`. */
  csrf: 'ferry_csrf',
  securePrefix: '__Host-',
} as const;

/** The header a cookie-authenticated request that changes anything must carry. */
export const CSRF_HEADER = 'x-ferry-csrf';
