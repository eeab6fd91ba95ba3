import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import {
  brotliCompress,
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gzip,
  type BrotliOptions,
  type ZlibOptions,
} from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.ts';

/**
 * Response and request compression (docs/protocol.md, "Compression").
 *
 * Responses: brotli or gzip by the request's `Accept-Encoding`, at the fastest level of each.
 * Measured on a 1 000-row pull page (~440 B of JSON a row, English-like text): brotli
 * quality 1 made ~78 B a row for ~3.7 µs of CPU a row, gzip level 1 ~144 B for ~6.4 µs; gzip 6
 * (zlib's default, what the server used before) ~132 B for ~18.6 µs. Higher brotli qualities gain
 * a few percent for two to four times the CPU.
 */
export const BROTLI_OPTIONS: BrotliOptions = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 1,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  },
};
export const GZIP_OPTIONS: ZlibOptions = { level: 1 };

/** Responses smaller than this go as they are: the coding's headers would eat the gain. */
export const MIN_COMPRESS_BYTES = 1024;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The response codings this server makes, in order of preference. */
export const ResponseCoding = { br: 'br', gzip: 'gzip', identity: 'identity' } as const;
export type ResponseCoding = (typeof ResponseCoding)[keyof typeof ResponseCoding];

/**
 * The coding to answer with, from an `Accept-Encoding` header (RFC 9110 §12.5.3): brotli, else
 * gzip, whichever the client accepts with a non-zero weight (`*` accepts both); identity
 * otherwise. Weights only exclude: among the accepted, brotli is preferred as the smaller and
 * cheaper one (see `BROTLI_OPTIONS`).
 */
export function negotiateCoding(header: string | undefined): ResponseCoding {
  if (header === undefined || header === '') return ResponseCoding.identity;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (name !== '') weights.set(name.trim(), Number.isFinite(q) ? q : 0);
  }
  const accepts = (c: string): boolean => (weights.get(c) ?? weights.get('*') ?? 0) > 0;
  if (accepts(ResponseCoding.br)) return ResponseCoding.br;
  if (accepts(ResponseCoding.gzip)) return ResponseCoding.gzip;
  return ResponseCoding.identity;
}

/** Compresses a response body with `coding` (off the event loop, in libuv's thread pool). */
export function compressBody(
  body: string | Buffer,
  coding: Exclude<ResponseCoding, 'identity'>,
): Promise<Buffer> {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return coding === ResponseCoding.br
    ? brotliAsync(buf, {
        ...BROTLI_OPTIONS,
        params: { ...BROTLI_OPTIONS.params, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
      })
    : gzipAsync(buf, GZIP_OPTIONS);
}

/** Request codings the server reads (`Content-Encoding`), and their decoders. */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  br: () => createBrotliDecompress(),
  deflate: () => createInflate(),
};
/** What a client may send, for the `415` answer's `Accept-Encoding` header. */
export const REQUEST_CODINGS = 'gzip, br, deflate';

/** A decoded body stream as Fastify reads it: it checks `receivedEncodedLength` too. */
type DecodedBody = Transform & { receivedEncodedLength: number };

/**
 * The decoded body of a request sent with `Content-Encoding`, limited to `limit` bytes after
 * decoding: past it, decoding stops (the decoder is destroyed, so a zip bomb costs at most
 * `limit` bytes of output) and the stream fails with `413 payload_too_large`. The encoded bytes
 * are limited by the same number before the body is read (`content-length`, body-guard.ts) and
 * while it is read (Fastify checks `receivedEncodedLength`). The request stream itself is left
 * open, so the error answer can be read by a client still sending (see `answerBeforeBody`).
 */
export function decodedBody(raw: Readable, coding: string, limit: number): DecodedBody {
  const make = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
  if (make === undefined) {
    throw new HttpError(
      'unsupported_encoding',
      `content-encoding "${coding.slice(0, 32)}" is not supported; send ${REQUEST_CODINGS} or identity`,
    );
  }
  const decoder = make();
  let out = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      out += chunk.length;
      if (out > limit) {
        stop();
        done(
          new HttpError(
            'payload_too_large',
            `the request body is larger than the limit of ${limit} bytes once decompressed`,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  }) as DecodedBody;
  limited.receivedEncodedLength = 0;
  const count = (chunk: Buffer): void => {
    limited.receivedEncodedLength += chunk.length;
  };
  const stop = (): void => {
    raw.unpipe(decoder);
    raw.off('data', count);
    decoder.unpipe(limited);
    decoder.destroy();
  };
  decoder.on('error', (e: Error) => {
    stop();
    limited.destroy(
      new HttpError('invalid_request', `the body is not valid ${coding}: ${e.message}`),
    );
  });
  raw.on('data', count);
  raw.pipe(decoder).pipe(limited);
  return limited;
}

/**
 * Installs both directions: request bodies with `Content-Encoding` are decoded (and limited)
 * before they are parsed; responses of at least `MIN_COMPRESS_BYTES` are compressed by
 * `Accept-Encoding`. Responses that set their own `content-encoding` are left alone.
 */
export function installCompression(app: FastifyInstance, bodyLimitBytes: number): void {
  app.addHook('preParsing', (req, reply, payload, done) => {
    const header = req.headers['content-encoding'];
    if (header === undefined) return done(null, payload);
    const coding = String(header).trim().toLowerCase();
    if (coding === '' || coding === 'identity') return done(null, payload);
    // RFC 9110 §12.5.3: a 415 for an unsupported coding says which ones are.
    if (!Object.hasOwn(DECODERS, coding)) void reply.header('accept-encoding', REQUEST_CODINGS);
    done(null, decodedBody(payload, coding, req.routeOptions.bodyLimit ?? bodyLimitBytes));
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    // Short bodies go as they are, without asking the headers anything (an idle poll's answer).
    if (payload.length < MIN_COMPRESS_BYTES / 3) return done(null, payload);
    if (reply.getHeader('content-encoding') !== undefined) return done(null, payload);
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size < MIN_COMPRESS_BYTES) return done(null, payload);
    const coding = negotiateCoding(req.headers['accept-encoding']);
    void reply.header('vary', 'accept-encoding');
    if (coding === ResponseCoding.identity) return done(null, payload);
    void reply.header('content-encoding', coding);
    reply.removeHeader('content-length');
    compressBody(payload, coding).then((body) => done(null, body), done);
  });
}
