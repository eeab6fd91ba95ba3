import type { FastifyInstance } from 'fastify';
import { ErrorEnvelope, PROTOCOL_VERSION } from '@ferry/protocol';
import type { AppDeps } from '../deps.ts';
import { fail } from '../errors.ts';

/** Health, readiness, metrics and the OpenAPI document. */
export function opsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const ok = { type: 'object', properties: { status: { type: 'string' } } } as const;
  app.get('/healthz', { schema: { tags: ['ops'], response: { 200: ok } } }, () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['ops'], response: { 200: ok, 503: ErrorEnvelope } } },
    async () => {
      try {
        await Promise.race([
          deps.db.query('SELECT 1'),
          new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref()),
        ]);
      } catch {
        fail('unavailable', 'the database is not reachable', 5);
      }
      return { status: 'ok', protocol: PROTOCOL_VERSION };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['ops'],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    (_req, reply) => {
      void reply.type('text/plain; version=0.0.4').send(deps.metrics.render());
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
