import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { PROTOCOL_VERSION } from '@ferry/protocol';
import type { AppDeps } from './deps.ts';
import { installErrorHandler } from './error-handler.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/events.ts';
import { opsRoutes } from './routes/ops.ts';
import { syncRoutes } from './routes/sync.ts';

const gzipAsync = promisify(gzip);

/** Fastify's options: logging with secrets redacted, strict validation, TLS when configured. */
function fastifyOptions(
  deps: AppDeps,
): FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } {
  const { config } = deps;
  const opts: FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } = {
    logger: {
      level: config.logLevel,
      // Request bodies are never logged; headers are, minus the secrets.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
        censor: '[redacted]',
      },
    },
    bodyLimit: config.bodyLimitBytes,
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
    // Requests that still arrive while draining are served (with Connection: close) rather than
    // answered with Fastify's own 503 body, which is not the protocol's envelope.
    return503OnClosing: false,
  };
  if (config.tlsCertPath !== undefined && config.tlsKeyPath !== undefined) {
    opts.https = { cert: readFileSync(config.tlsCertPath), key: readFileSync(config.tlsKeyPath) };
  }
  return opts;
}

/** Builds the HTTP API (not yet listening). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(deps)) as unknown as FastifyInstance;
  installErrorHandler(app);
  // Response schemas document the API (OpenAPI); bodies are plain JSON.stringify so a row's
  // declared fields are never dropped by a serializer that does not know them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // JSON only. An empty body is "no body" (e.g. logout sent with a content-type).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
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

  // CORS: the desktop webview calls the API from its own origin. Bearer tokens, never cookies,
  // so allowing any origin grants nothing a page could not already do with a token it holds.
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      void reply
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600');
    }
  });
  app.options('*', { schema: { hide: true } }, (_req, reply) => {
    void reply.code(204).send();
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (!accepts || reply.getHeader('content-encoding') !== undefined) return payload;
    const size =
      typeof payload === 'string'
        ? Buffer.byteLength(payload)
        : Buffer.isBuffer(payload)
          ? payload.length
          : 0;
    if (size < 1024) return payload;
    void reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding');
    reply.removeHeader('content-length');
    return gzipAsync(payload as string | Buffer);
  });

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.request(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Ferry sync API',
        version: String(PROTOCOL_VERSION),
        description: 'Offline-first notes: push, pull, auth.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  authRoutes(app, deps);
  syncRoutes(app, deps);
  eventRoutes(app, deps);
  opsRoutes(app, deps);
  return app;
}
