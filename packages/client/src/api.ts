/**
 * The engine's public surface, shared by the CLI and the desktop app. The implementation lives
 * in the other files of this package; this file only states the shapes.
 */
import type { Validator } from './checks.ts';
import type { SqlDriver, SqlReader } from './driver.ts';
import type { SchemaMigration, TableDecl } from '@ferry/protocol';

/** Where the auth token lives (a 0600 file for the CLI, the OS keyring / Rust side for the desktop). */
export interface TokenStore {
  get(): Promise<string | null>;
  set(token: string | null): Promise<void>;
}

/** One HTTP exchange with the server, so Node (fetch), tests (a faulty proxy) and Tauri can differ. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * The body may go gzip-compressed (`content-encoding: gzip`). An HttpFn that cannot compress
   * (no `codings.gzipRequests`) sends it as it is.
   */
  gzip?: boolean;
  signal?: AbortSignal;
}
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
export type HttpFn = ((req: HttpRequest) => Promise<HttpResponse>) & {
  /** What the transport can decode and encode; without it the engine sets no `accept-encoding`. */
  readonly codings?: HttpCodings;
};

/** The content codings an HttpFn handles (see `Transport`). */
export interface HttpCodings {
  /** `Accept-Encoding` to send: only codings whose responses it hands back decoded. */
  readonly accept: string;
  /** It sends a request marked `gzip` compressed, with `content-encoding: gzip`. */
  readonly gzipRequests: boolean;
}

export const SyncState = {
  idle: 'idle',
  syncing: 'syncing',
  offline: 'offline',
  error: 'error',
  signedOut: 'signed-out',
} as const;
export type SyncState = (typeof SyncState)[keyof typeof SyncState];

/** How far a running sync's pull has got (see `SyncStatus.progress`). */
export interface SyncProgress {
  /** Rows pulled by this sync so far. */
  pulled: number;
  /**
   * Rows it will have pulled at the end: `pulled` plus the changes the server says are still
   * ahead (exact for rows written once since the cursor, an upper bound otherwise, exact again
   * on the last page); null when the server does not say (a server without the extension).
   */
  total: number | null;
}

/** What a UI shows in its sync indicator. */
export interface SyncStatus {
  state: SyncState;
  /** Outbox entries not yet acknowledged by the server. */
  pending: number;
  /** ISO time of the last sync that pushed everything and pulled to the end. */
  lastSyncAt: string | null;
  lastError: { code: string; message: string } | null;
  /** Server URL, or null when none is set. */
  server: string | null;
  /** While a sync runs: its pull's progress after each applied page; null otherwise. */
  progress: SyncProgress | null;
}

/** Events for live queries and status displays. */
export type FerryEvent =
  | { type: 'changed'; table: string; ids: string[]; origin: 'local' | 'remote' }
  | { type: 'status'; status: SyncStatus };

/** Equality filters on declared fields (`null`: the field is null), all of which must hold. */
export type FieldFilter = Readonly<Record<string, string | number | null>>;

export interface ListOptions {
  /** Case-insensitive text search in the table's search fields. */
  search?: string;
  /** Only rows whose fields equal these values. */
  where?: FieldFilter;
  /** false (default): live rows only; true: live and deleted; 'only': the trash. */
  deleted?: boolean | 'only';
  limit?: number;
  offset?: number;
  /** Start at this position (inclusive), e.g. the row a view is anchored to. */
  from?: ListPosition;
}

/**
 * A row's place in list order (most recently modified first, then id descending): the value of
 * its `updatedAt` timestamp field, and its id.
 */
export interface ListPosition {
  updated: string;
  id: string;
}

/** Filters of a count: those of `list`, and `before` to count only rows ahead of a position. */
export interface CountOptions {
  search?: string;
  where?: FieldFilter;
  deleted?: boolean | 'only';
  before?: ListPosition;
}

export interface Conflict {
  id: string;
  table: string;
  recordId: string;
  /** The fields this device tried to write. */
  mine: Record<string, unknown>;
  /** The server's row when the conflict was detected. */
  theirs: Record<string, unknown> | null;
  detectedAt: string;
}

export interface RejectedChange {
  id: string;
  table: string;
  recordId: string;
  op: 'upsert' | 'delete';
  fields: Record<string, unknown>;
  code: string;
  message: string;
  rejectedAt: string;
}

export interface SyncOutcome {
  pushed: number;
  pulled: number;
  /** True when the outbox is empty and the pull reached the end. */
  complete: boolean;
  /** The cursor the sync ended at (the server's position the device has pulled up to). */
  cursor?: string;
}

export interface FerryOptions<T extends readonly TableDecl[] = readonly TableDecl[]> {
  driver: SqlDriver;
  /**
   * The app's synced tables (`defineTable`), checked when the engine opens: a declaration the
   * engine cannot sync fails here, naming the table and the field. The engine adds its own
   * `text_conflicts` when a field merges as text.
   */
  tables: T;
  /** The app's schema version, sent with every sync (the server answers 426 when it does not serve it). */
  schemaVersion: number;
  /**
   * How stored fields or tables the declarations no longer have were dropped or renamed. Without
   * one, opening a database that has such a field or table fails, naming it (`SchemaChangeError`).
   */
  migrations?: readonly SchemaMigration[];
  /**
   * A read-only connection to the same database for `get` and `list`, so they never wait for a
   * write transaction (a sync applying a page); see `SqlReader`. Without it they use `driver`.
   */
  reader?: SqlReader;
  tokenStore: TokenStore;
  /** Transport seam; defaults to global fetch. */
  http?: HttpFn;
  /** Physical clock (ms). */
  now?: () => number;
  /** Allow plain http:// to non-loopback hosts. */
  allowInsecure?: boolean;
  /**
   * Rows per pull page (1–10 000, default 5 000; the server may cap it lower, and one without the
   * `pageLimit` extension at 1 000). Larger pages cost fewer round trips and local transactions;
   * a page is applied in one transaction, which local writes wait behind.
   */
  pullLimit?: number;
  /**
   * Compress what goes on the wire: compressed responses (by the HttpFn's `codings`) and gzip
   * request bodies. Default: on, except to a loopback server, where it buys nothing and costs CPU.
   */
  compress?: boolean;
  /**
   * Makes the checks of the server's answers, each when first needed. Default
   * `interpretedValidator`, which generates no code (a page's CSP may forbid it); in Node,
   * `compiledValidator` from `@ferry/client/node` is faster on large sync pages.
   */
  validator?: Validator;
}
