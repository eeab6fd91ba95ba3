import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerBeforeBody } from './body-guard.ts';
import { HttpError, type ServerErrorCode } from './errors.ts';
import { logAnsweredEarly } from './request-log.ts';

/** PostgreSQL conditions after which the same request may succeed later. */
const TRANSIENT_PG = /^(08|53|57P0[1-3]|40001|40P01|3D000)/;
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** Messages are cut to this many characters, whatever client input they quote. */
const MAX_MESSAGE = 300;

type Send = (
  reply: FastifyReply,
  status: number,
  code: ServerErrorCode,
  message: string,
  retryAfter?: number,
) => void;

/** How errors are answered: see `installErrorHandler`. */
export interface ErrorAnswers {
  /** Of a body still arriving after its answer, how much is read and discarded before closing. */
  readonly discardBytes: number;
  /**
   * Counts an answer written before the body arrived (those skip the `onResponse` hook, and
   * Fastify's request log: `logAnsweredEarly` writes their line).
   */
  readonly countRequest: (req: FastifyRequest, status: number) => void;
}

/** Sends the envelope; before the body has arrived, on the socket (see `answerBeforeBody`). */
const sender =
  ({ discardBytes, countRequest }: ErrorAnswers): Send =>
  (reply, status, code, message, retryAfter) => {
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
    const body = { error: { code, message: text } };
    if (!reply.request.raw.complete) {
      answerBeforeBody(reply, status, JSON.stringify(body), discardBytes);
      countRequest(reply.request, status);
      logAnsweredEarly(reply, status);
      return;
    }
    void reply.code(status).type('application/json').send(body);
  };

function isTransientDbError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  const message = (err as { message?: unknown }).message;
  if (typeof code === 'string' && (TRANSIENT_PG.test(code) || TRANSIENT_NET.has(code))) return true;
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|connection error|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * The one place errors become responses: every failure leaves as `{ error: { code, message } }`
 * with the protocol's status, whatever threw it (our code, Fastify, Ajv, the JSON parser, pg).
 * An answer given before the body has arrived is written on the socket (`answerBeforeBody`).
 */
export function installErrorHandler(app: FastifyInstance, answers: ErrorAnswers): void {
  const send = sender(answers);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      send(reply, err.status, err.code, err.message, err.retryAfter);
      return;
    }
    if (err.validation) {
      send(reply, 400, 'invalid_request', err.message);
      return;
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        send(reply, 413, 'payload_too_large', 'the request body is larger than the limit');
        return;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        send(reply, 400, 'invalid_request', 'content-type must be application/json');
        return;
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        send(reply, 400, 'invalid_request', err.message);
        return;
    }
    if (err instanceof SyntaxError || err.statusCode === 400) {
      send(reply, 400, 'invalid_request', `malformed request: ${err.message}`);
      return;
    }
    if (err.statusCode === 413) {
      send(reply, 413, 'payload_too_large', 'the request body is larger than the limit');
      return;
    }
    if (isTransientDbError(err)) {
      req.log.warn({ err }, 'database unavailable');
      send(reply, 503, 'unavailable', 'the database is unavailable; retry later', 2);
      return;
    }
    req.log.error({ err }, 'unhandled error');
    send(reply, 500, 'internal', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => {
    send(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
  });
}
