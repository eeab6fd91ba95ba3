/**
 * The engine's pieces for Node: {@link openNodeDriver}, the SQLite driver over better-sqlite3
 * (an optional dependency of `@ferry/client`), and {@link fileTokenStore}.
 *
 * @module @ferry/client/node
 */
export { openNodeDriver, type NodeDriverOptions } from './driver.ts';
export { fileTokenStore } from './token-store.ts';
