/**
 * The engine's pieces for Node: {@link openNodeDriver}, the SQLite driver over better-sqlite3
 * (an optional dependency of `@ferry/client`), {@link fileTokenStore} and
 * {@link compiledValidator}.
 *
 * @module @ferry/client/node
 */
export { openNodeDriver, type NodeDriverOptions } from './driver.ts';
export { compiledValidator } from './compiled-validator.ts';
export { fileTokenStore } from './token-store.ts';
