import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** What the line of one request says (its request id is the logger's `reqId` binding). */
function requestLine(
  req: FastifyRequest,
  reply: FastifyReply,
  status = reply.statusCode,
): Record<string, unknown> {
  return {
    method: req.method,
    // The path only: a query string may carry anything a client put there.
    url: req.url.split('?')[0],
    route: req.routeOptions.url ?? null,
    status,
    ms: Math.round(reply.elapsedTime * 10) / 10,
  };
}

/**
 * The line of a request answered on its socket before its body arrived (`answerBeforeBody`):
 * Fastify does not see that answer (the reply is hijacked), so it writes no line of its own.
 */
export function logAnsweredEarly(reply: FastifyReply, status: number): void {
  reply.log.info(requestLine(reply.request, reply, status), 'request');
}

/**
 * Fastify's request log as one line per request, written when it is answered: Fastify's own
 * writes two at `info` ("incoming request", then "request completed"), so every idle poll of
 * every device cost two lines. No headers are logged, so no token, cookie or CSRF value;
 * bodies never are. A response that fails while being written is logged at `error`, with its
 * error; an error a route throws is logged by the error handler (`error-handler.ts`).
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(req)) return;
    if (error) reply.log.error({ ...requestLine(req, reply), err: error }, 'request errored');
    else reply.log.info(requestLine(req, reply), 'request');
  }
}
