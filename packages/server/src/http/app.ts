import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:http';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HookHandlerDoneFunction,
  type FastifyServerOptions,
} from 'fastify';
import swagger from '@fastify/swagger';
import { PROTOCOL_VERSION } from '@ferry/protocol';
import type { AppDeps } from './deps.ts';
import { installAuthBeforeBody } from './auth-hook.ts';
import { installBodyGuards } from './body-guard.ts';
import { installCompression } from './compression.ts';
import { API_HEADERS, clientErrorHandler, frameworkErrors } from './early-errors.ts';
import { installErrorHandler } from './error-handler.ts';
import { installJsonBody } from './json-body.ts';
import { OneLineRequestLog } from './request-log.ts';
import { lazyRequestLogger } from './request-logger.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/events.ts';
import { historyRoutes } from './routes/history.ts';
import { opsRoutes } from './routes/ops.ts';
import { installWebApp } from './web-app.ts';
import { syncRoutes } from './routes/sync.ts';
import { securitySchemes } from './security.ts';

/** How often Node checks the request and headers timeouts (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

type Options = FastifyServerOptions & { http?: ServerOptions; https?: Record<string, unknown> };

/**
 * Fastify's options: logging with secrets redacted, strict validation, timeouts, the envelope for
 * errors raised before a route runs, TLS when configured.
 */
function fastifyOptions(deps: AppDeps): Options {
  const { config } = deps;
  // Node's own server options (Fastify sets requestTimeout again after creating the server).
  const nodeHttp = {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  };
  const opts: Options = {
    logger: {
      level: config.logLevel,
      // Request bodies are never logged; headers are, minus the secrets.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-ferry-csrf"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.csrf',
        ],
        censor: '[redacted]',
      },
      ...(deps.logStream === undefined ? {} : { stream: deps.logStream }),
    },
    // One line per request, on response, with no headers (request-log.ts).
    logController: new OneLineRequestLog(),
    // A request's child logger is made only if the request logs something (request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    http: nodeHttp,
    clientErrorHandler,
    frameworkErrors,
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
    opts.https = {
      ...nodeHttp,
      cert: readFileSync(config.tlsCertPath),
      key: readFileSync(config.tlsKeyPath),
    };
  }
  return opts;
}

/** Builds the HTTP API (not yet listening). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(deps)) as unknown as FastifyInstance;
  // A body still arriving after its (error) answer is discarded up to twice the body limit.
  const countRequest = (req: FastifyRequest, status: number): void =>
    deps.metrics.request(req.routeOptions.url ?? 'unmatched', req.method, status);
  installErrorHandler(app, { discardBytes: 2 * deps.config.bodyLimitBytes, countRequest });
  // Response schemas document the API (OpenAPI); bodies are plain JSON.stringify so a row's
  // declared fields are never dropped by a serializer that does not know them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  if (deps.config.maxConnections > 0) app.server.maxConnections = deps.config.maxConnections;
  installJsonBody(app);

  // CORS: the desktop webview calls the API from its own origin with a bearer token, so allowing
  // any origin grants nothing a page could not already do with a token it holds. The web app's
  // session cookie is no such grant: `*` never exposes a credentialed answer to another origin,
  // X-Ferry-CSRF is not an allowed header, and a cookie request from another origin is refused
  // (session-cookie.ts). Every response is also marked nosniff and no-store (API_HEADERS).
  app.addHook('onRequest', (req, reply, done) => {
    void reply.headers(API_HEADERS);
    if (req.method === 'OPTIONS') {
      void reply
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', 'authorization, content-type, content-encoding')
        .header('access-control-max-age', '600');
    }
    done();
  });

  installCompression(app, deps.config.bodyLimitBytes);

  // Each route counts its own answers (its label made once); the app's hook counts the rest.
  app.addHook('onRoute', (route) => {
    const count = deps.metrics.requestCounter(route.url);
    route.onResponse = [
      ...[route.onResponse ?? []].flat(),
      (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
        count(req.method, reply.statusCode);
        done();
      },
    ];
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (req.is404) countRequest(req, reply.statusCode);
    done();
  });

  installBodyGuards(app, deps.config);
  installAuthBeforeBody(app, deps);
  // Declared after the guards, so it has their route hooks too (body-guard.ts).
  app.options('*', { schema: { hide: true } }, (_req, reply) => {
    void reply.code(204).send();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Ferry sync API',
        version: String(PROTOCOL_VERSION),
        description: 'Offline-first sync: push, pull, auth.',
      },
      components: { securitySchemes },
    },
  });
  authRoutes(app, deps);
  syncRoutes(app, deps);
  eventRoutes(app, deps);
  historyRoutes(app, deps);
  opsRoutes(app, deps);
  await installWebApp(app, deps.config.webRoot);
  return app;
}
