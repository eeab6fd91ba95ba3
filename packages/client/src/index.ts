/**
 * The sync engine. Declare the app's tables with {@link @ferry/protocol!defineTable}, open the
 * engine with {@link openFerry}`({ driver, tokenStore, tables, schemaVersion })`, write with
 * `ferry.tables.<name>.*` ({@link TableStore}), sync with {@link Ferry.sync} or a
 * {@link Scheduler} from {@link createScheduler}.
 *
 * @module @ferry/client
 */
export * from './api.ts';
export type { RunManyOptions, SqlDriver, SqlReader, SqlTx, SqlValue } from './driver.ts';
export { openFerry, Ferry, type FerryTestHooks } from './ferry.ts';
export type { StoreOf, TablesOf } from './typed-tables.ts';
export type { Identity } from './auth.ts';
export { TableStore, type Editing, type UpdateOptions } from './store.ts';
export type { TextBase } from './text-base.ts';
export type { LocalRow } from './rows.ts';
export type { OutboxEntry } from './outbox.ts';
export type { TextConflict, TextResolution } from './text-conflicts.ts';
export { FerryError, ErrorKind, parseRetryAfter } from './errors.ts';
export { checkServerUrl, createFetchHttp, fetchHttp, FETCH_HTTP_MAX_BODY_BYTES } from './http.ts';
export {
  interpretedValidator,
  precompiledValidator,
  schemaKey,
  type Check,
  type PrecompiledChecks,
  type Validator,
} from './checks.ts';
export { memoryTokenStore } from './token-store.ts';
export { Mutex } from './mutex.ts';
export { LOCAL_SCHEMA_VERSION, LOCAL_ENGINE_TABLES } from './schema.ts';
export {
  Scheduler,
  createScheduler,
  type SchedulerOptions,
  type Syncable,
  type Trigger,
} from './scheduler.ts';
export {
  MAX_SSE_EVENT_CHARS,
  PokeListener,
  SseParser,
  fetchEventSource,
  textChunks,
  type ByteReader,
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
export { deviceLabel, shortDevice } from './devices.ts';
