import type { FastifyInstance } from 'fastify';
import { authenticate } from './authenticate.ts';
import { authenticatesBeforeBody } from './body-guard.ts';
import type { AppDeps } from './deps.ts';

/**
 * Every route whose schema declares bearer security is authenticated in `onRequest`, before its
 * body is read: a request without a valid token is answered 401 without reading or parsing a
 * byte of its body. One query; the handler's own `authenticate` call reuses its answer. Install
 * after the body guards (an unknown route or a declared oversize body is refused first).
 */
export function installAuthBeforeBody(app: FastifyInstance, deps: AppDeps): void {
  app.addHook('onRequest', async (req) => {
    if (authenticatesBeforeBody(req.routeOptions.schema)) {
      await authenticate(deps.tokens, req, deps.config);
    }
  });
}
