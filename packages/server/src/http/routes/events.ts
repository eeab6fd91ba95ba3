import type { FastifyInstance } from 'fastify';
import { ErrorEnvelope } from '@ferry/protocol';
import { tokenExpiresIn, tokenHash } from '../../auth/tokens.ts';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';
import { readSecurity } from '../security.ts';

/** The longest a stream waits before checking its token again (timers overflow past ~24.8 days). */
const MAX_CHECK_MS = 24 * 60 * 60 * 1000;

/**
 * `GET /v1/events`: a server-sent event stream that pokes when the caller's position moves.
 * Authenticated by the Authorization header, or the web app's session cookie; never by a token
 * in the URL, which would end up in logs. The stream ends when its token is revoked (a NOTIFY
 * from any server process) or expires (a timer that checks the token again when it would expire
 * unless used meanwhile).
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
        security: readSecurity,
        description:
          'text/event-stream: `event: poke` with `data: {"cursor":"N"}`; a comment line at least every 25 s.',
        response: {
          200: {
            description: 'the event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          401: ErrorEnvelope,
          403: ErrorEnvelope,
        },
      },
    },
    async (req, reply) => {
      const caller = await authenticate(deps.tokens, req, deps.config);
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
      let expiry: NodeJS.Timeout | undefined;
      // Ends the stream unless the token is still live; then checks again when it could expire.
      const check = (): void => {
        tokenExpiresIn(deps.db, caller.token, deps.config).then(
          (left) => {
            if (!open.has(end)) return;
            if (left === null) end();
            else if (left !== Infinity)
              expiry = setTimeout(check, Math.min(left + 50, MAX_CHECK_MS));
          },
          // The database is unreachable: keep the stream and try again shortly.
          () => open.has(end) && (expiry = setTimeout(check, 1000)),
        );
      };
      const unwatch = deps.hub.watchRevocation(
        caller.userId,
        tokenHash(caller.token).toString('hex'),
        (certain) => {
          if (certain) end();
          else {
            clearTimeout(expiry);
            check();
          }
        },
      );
      const end = (): void => {
        if (!open.delete(end)) return;
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
        unwatch();
        res.end();
      };
      open.add(end);
      check();
      req.raw.on('close', end);
      res.on('error', end);
    },
  );
}
