/**
 * @ferry/client — the sync engine. Open it with `openFerry({ driver, tokenStore })`, write with
 * `ferry.notes.*`, sync with `ferry.sync()` or a scheduler from `createScheduler`.
 */
export * from './api.ts';
export type { SqlDriver, SqlReader, SqlTx, SqlValue } from './driver.ts';
export { openFerry, Ferry, type NotesApi, type FerryTestHooks } from './ferry.ts';
export type { Identity } from './auth.ts';
export { TableStore } from './store.ts';
export type { LocalRow } from './rows.ts';
export type { OutboxEntry } from './outbox.ts';
export type { TextConflict, TextResolution } from './text-conflicts.ts';
export { FerryError, ErrorKind, parseRetryAfter } from './errors.ts';
export { checkServerUrl, fetchHttp } from './http.ts';
export { memoryTokenStore } from './token-store.ts';
export { Mutex } from './mutex.ts';
export { LOCAL_SCHEMA_VERSION } from './schema.ts';
export {
  Scheduler,
  createScheduler,
  type SchedulerOptions,
  type Syncable,
  type Trigger,
} from './scheduler.ts';
export {
  PokeListener,
  SseParser,
  fetchEventSource,
  type EventSourceFn,
  type EventSourceRequest,
  type EventSourceResponse,
  type SseEvent,
} from './poke.ts';
export {
  backoffDelay,
  systemClock,
  systemTimers,
  type BackoffOptions,
  type Clock,
  type Timers,
} from './timers.ts';
