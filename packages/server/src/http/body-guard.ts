import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { clipInput } from '@ferry/protocol';
import type { ServerConfig } from '../config.ts';
import { HttpError } from './errors.ts';

/** True for a route that authenticates by bearer token before reading its body. */
export function authenticatesBeforeBody(schema: RouteOptions['schema']): boolean {
  const security = (schema as { security?: readonly Record<string, unknown>[] } | undefined)
    ?.security;
  return security?.some((s) => Object.hasOwn(s, 'bearer')) ?? false;
}

/** Sockets that answered before their request's body arrived and are discarding the rest. */
const lingering = new WeakSet<Socket>();

/** True while `socket` discards the rest of a body it already answered (see `answerBeforeBody`). */
export function isLingering(socket: Socket): boolean {
  return lingering.has(socket);
}

/**
 * Sends an error answer while the request's body is still arriving (401 before the body is read,
 * 413 by `content-length`, 404), then closes the connection gracefully: the answer and a FIN go
 * out at once, and what the client still sends is read and discarded, up to `maxBytes`, before
 * the socket is closed. Closing with unread data would make the kernel reset the connection, and
 * a client still writing its body would see `EPIPE` instead of the answer. A client that stalls
 * is cut off by the request timeout (see `clientErrorHandler`).
 *
 * Written on the socket directly: Node's response object closes the socket as soon as an answer
 * with `Connection: close` is sent, unread body or not.
 */
export function answerBeforeBody(
  reply: FastifyReply,
  status: number,
  payload: string,
  maxBytes: number,
): void {
  const req = reply.request.raw;
  const socket = req.socket;
  void reply.hijack();
  const headers: Record<string, unknown> = {
    ...reply.getHeaders(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    connection: 'close',
  };
  const head = Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${String(v)}\r\n`)
    .join('');
  lingering.add(socket);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${payload}`);
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) socket.destroy();
  });
  req.once('end', () => socket.destroy());
  req.resume();
}

/** The methods each declared path serves, for `405` and its `Allow` header. */
type MethodsByPath = Map<string, Set<string>>;

/** A known path asked with a method it does not serve is `405` with `Allow`; else `404`. */
function unknownRoute(req: FastifyRequest, reply: FastifyReply, methods: MethodsByPath): HttpError {
  const path = req.url.split('?')[0] ?? '';
  const allowed = methods.get(path);
  if (allowed !== undefined) {
    void reply.header('allow', [...allowed].sort().join(', '));
    return new HttpError(
      'method_not_allowed',
      `${clipInput(path)} does not serve ${clipInput(req.method)}`,
    );
  }
  return new HttpError('not_found', `no route ${clipInput(req.method)} ${clipInput(path)}`);
}

/** A declared `content-length` over `limit` is `413`. */
function tooLarge(req: FastifyRequest, limit: number): HttpError | undefined {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    return new HttpError(
      'payload_too_large',
      `the request body is larger than the limit of ${limit} bytes`,
    );
  }
  return undefined;
}

/**
 * Limits that hold before a body is read:
 * - a route that does not authenticate first (signup, login) accepts at most
 *   `preAuthBodyLimitBytes`;
 * - a declared `content-length` over the route's limit is answered `413` at once, an unknown
 *   route `404` and a known path with another method `405`, before any body is read (the error
 *   handler answers with `answerBeforeBody` while the body is still arriving).
 * Must be installed before the routes (the limit and its check are set as each route is added:
 * the check is the route's own `onRequest` hook, the first of its own).
 */
export function installBodyGuards(app: FastifyInstance, config: ServerConfig): void {
  const methods: MethodsByPath = new Map();
  app.addHook('onRoute', (route) => {
    if (!route.url.includes('*')) {
      const set = methods.get(route.url) ?? new Set<string>();
      for (const m of [route.method].flat()) set.add(m);
      methods.set(route.url, set);
    }
    if (!authenticatesBeforeBody(route.schema))
      route.bodyLimit = Math.min(
        route.bodyLimit ?? config.bodyLimitBytes,
        config.preAuthBodyLimitBytes,
      );
    const limit = route.bodyLimit ?? config.bodyLimitBytes;
    route.onRequest = [
      (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) =>
        done(tooLarge(req, limit)),
      ...[route.onRequest ?? []].flat(),
    ];
  });

  app.addHook('onRequest', (req, reply, done) => {
    done(req.is404 ? unknownRoute(req, reply, methods) : undefined);
  });
}
