/**
 * The engine's pieces for Node: {@link openNodeDriver}, the SQLite driver over better-sqlite3
 * (an optional dependency of `@ferry/client`), {@link fileTokenStore}, {@link compiledValidator}
 * and {@link nodeHttp}.
 *
 * @module @ferry/client/node
 */
export { openNodeDriver, type NodeDriverOptions } from './driver.ts';
export { compiledValidator } from './compiled-validator.ts';
export { fileTokenStore } from './token-store.ts';
export {
  createNodeHttp,
  nodeHttp,
  NODE_HTTP_IDLE_MS,
  NODE_HTTP_MAX_BODY_BYTES,
  type NodeHttpOptions,
} from './http.ts';
