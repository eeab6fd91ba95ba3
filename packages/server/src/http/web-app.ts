/**
 * Serves the built web app (`apps/web/dist`) at `/`, same origin as the API. One route per file
 * found at start-up (`@fastify/static` with `wildcard: false`), so every other path still gets
 * the API's own 404/405 envelope and the OpenAPI document lists none of them (`schemaHide`).
 *
 * Headers: a strict Content-Security-Policy on every file (scripts, styles, workers, fetches
 * from this origin only; WebAssembly may compile, nothing may `eval`); Vite's hashed files under
 * `/assets/` are cached for a year (`immutable`), everything else is revalidated on each load
 * (`no-cache`), so a new build is picked up at once. `.wasm` goes out as `application/wasm`, which
 * streaming compilation requires.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_S = 365 * 24 * 60 * 60;

/** Registers the web app's files if `root` holds a build (its `index.html`). */
export async function installWebApp(app: FastifyInstance, root: string | undefined): Promise<void> {
  if (root === undefined) return;
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`web app: no index.html in ${root} (build it: npm run build -w @ferry/web)`);
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    schemaHide: true,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(reply, path) {
      void reply
        .header('content-security-policy', WEB_CSP)
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .header(
          'cache-control',
          /[/\\]assets[/\\]/.test(path) ? `public, max-age=${YEAR_S}, immutable` : 'no-cache',
        );
      if (path.endsWith('.wasm')) void reply.header('content-type', 'application/wasm');
      // The API answers any origin (bearer tokens); the app's files need not.
      void reply.removeHeader('access-control-allow-origin');
    },
  });
}
