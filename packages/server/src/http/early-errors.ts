import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isLingering } from './body-guard.ts';

/** Headers on every response: never sniffed as another type, never stored by a cache. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'access-control-allow-origin': '*',
};

/** Node's parser errors that carry a status of their own. */
const STATUS_OF: Readonly<Record<string, readonly [number, string, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'invalid_request', 'the request headers are too large'],
};

/**
 * Errors Node's HTTP parser raises before any route runs (malformed request line or headers,
 * headers too large, request or headers timeout): answered with the protocol's envelope, then the
 * connection is closed. Nothing is written when an answer was already sent on this connection
 * (a socket discarding a body it answered: see body-guard.ts).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || socket.destroyed) {
    socket.destroy();
    return;
  }
  if (socket.writable && !isLingering(socket)) {
    const [status, code, message] = STATUS_OF[err.code ?? ''] ?? [
      400,
      'invalid_request',
      'malformed HTTP request',
    ];
    const body = JSON.stringify({ error: { code, message } });
    const headers = Object.entries({
      ...API_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${body}`, () =>
      socket.destroy(),
    );
    return;
  }
  socket.destroy();
}

/** Errors Fastify's router raises before a route runs (e.g. `/v1/%zz`), as the envelope. */
export function frameworkErrors(
  _err: FastifyError,
  _req: FastifyRequest,
  reply: FastifyReply,
): void {
  void reply
    .code(400)
    .headers(API_HEADERS)
    .type('application/json; charset=utf-8')
    .send({ error: { code: 'invalid_request', message: 'the URL is not valid' } });
}
