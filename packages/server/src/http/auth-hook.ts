import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { authenticated } from './authenticate.ts';
import { authenticatesBeforeBody } from './body-guard.ts';
import type { AppDeps } from './deps.ts';

/**
 * Every route whose schema declares bearer security is authenticated in `onRequest`, before its
 * body is read: a request without a valid token is answered 401 without reading or parsing a
 * byte of its body. At most one query (none when the token is in memory); the handler's own
 * `authenticate` call reuses its answer. The hook is the route's own (added as each route is
 * declared), so it runs after the app's `onRequest` hooks: install after the body guards (an
 * unknown route or a declared oversize body is refused first), before the routes.
 */
export function installAuthBeforeBody(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('ferryCaller', null);
  const hook = (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const caller = authenticated(deps.tokens, req, deps.config);
    if (caller instanceof Promise) caller.then(() => done(), done);
    else done();
  };
  app.addHook('onRoute', (route) => {
    if (authenticatesBeforeBody(route.schema))
      route.onRequest = [...[route.onRequest ?? []].flat(), hook];
  });
}
