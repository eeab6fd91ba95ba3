import type { FastifyInstance } from 'fastify';
import { ErrorEnvelope } from '@ferry/protocol';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';

/**
 * `GET /v1/events`: a server-sent event stream that pokes when the caller's position moves.
 * Authenticated by the Authorization header only; a token in a URL would end up in logs.
 */
export function eventRoutes(app: FastifyInstance, deps: AppDeps): void {
  const open = new Set<() => void>();
  // Streams never end by themselves; end them so a graceful shutdown is not held up by them.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['sync'],
        security: [{ bearer: [] }],
        description:
          'text/event-stream: `event: poke` with `data: {"cursor":"N"}`; a comment line at least every 25 s.',
        response: { 200: { type: 'string', description: 'text/event-stream' }, 401: ErrorEnvelope },
      },
    },
    async (req, reply) => {
      const caller = await authenticate(deps.db, req);
      const rows = await deps.db.query<{ position: string }>(
        'SELECT position::text AS position FROM users WHERE id = $1',
        [caller.userId],
      );
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const poke = (cursor: string): void => {
        res.write(`event: poke\ndata: ${JSON.stringify({ cursor })}\n\n`);
      };
      const unsubscribe = deps.hub.subscribe(caller.userId, poke);
      // The current position first, so a client that reconnects learns what it may have missed.
      res.write(': connected\n\n');
      poke(rows[0]?.position ?? '0');
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.config.heartbeatMs);
      const end = (): void => {
        if (!open.delete(end)) return;
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
      };
      open.add(end);
      req.raw.on('close', end);
      res.on('error', end);
    },
  );
}
