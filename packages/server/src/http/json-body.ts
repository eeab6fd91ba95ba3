import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.ts';

/**
 * The deepest nesting of arrays and objects a request body may have. A `/v1/sync` request needs
 * four levels (request › mutations › mutation › fields); the rest is headroom. Without a cap, an
 * 8 MB body of `[[[[…` took the event loop for seconds (the parse and then its garbage).
 */
export const MAX_JSON_DEPTH = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** The index of the quote that closes the string whose opening quote is at `open`, or -1. */
function stringEnd(buf: Buffer, open: number): number {
  let q = buf.indexOf(QUOTE, open + 1);
  while (q !== -1) {
    let slashes = 0;
    while (buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = buf.indexOf(QUOTE, q + 1);
  }
  return -1;
}

/**
 * True when the JSON text in `buf` (UTF-8) nests arrays and objects at most `max` deep. One linear
 * pass, stopping as soon as it goes deeper; string contents are skipped with a native search. A
 * UTF-8 multi-byte sequence never contains an ASCII byte, so scanning bytes is exact. Malformed
 * text is left for `JSON.parse` to refuse.
 */
export function nestsWithin(buf: Buffer, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      const end = stringEnd(buf, i);
      if (end === -1) return true;
      i = end;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return false;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
  return true;
}

/** True for a body of only JSON whitespace (or none). */
function isBlank(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  }
  return true;
}

/**
 * The only body parser: `application/json`, read whole (Fastify enforces the route's body limit
 * while reading), its nesting checked before `JSON.parse`, so parsing costs time linear in the
 * bytes and nothing deeper. An empty body is "no body" (e.g. logout sent with a content-type).
 * Any other content type is refused.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    const buf = body as Buffer;
    if (isBlank(buf)) {
      done(null, undefined);
      return;
    }
    if (!nestsWithin(buf, MAX_JSON_DEPTH)) {
      done(
        new HttpError(
          'invalid_request',
          `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
        ),
        undefined,
      );
      return;
    }
    try {
      done(null, JSON.parse(buf.toString('utf8')));
    } catch (err) {
      const e = err as Error & { statusCode?: number };
      e.statusCode = 400;
      done(e, undefined);
    }
  });
  app.addContentTypeParser('*', (_req, _payload, done) => {
    done(
      Object.assign(new Error('content-type must be application/json'), {
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
        statusCode: 415,
      }),
      undefined,
    );
  });
}
