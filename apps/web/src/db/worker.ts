/**
 * The database worker: SQLite compiled to WebAssembly (`@sqlite.org/sqlite-wasm`) on the origin
 * private file system through its `opfs-sahpool` VFS. Runs in a dedicated Worker, so no query
 * ever blocks the page; the page's driver (`wasm-driver.ts`) sends one message per statement
 * (BEGIN rides with a transaction's first).
 *
 * Why opfs-sahpool: it keeps a pool of OPFS sync access handles open, so it needs neither
 * SharedArrayBuffer nor the COOP/COEP headers (cross-origin isolation) the plain `opfs` VFS
 * requires, and it is the fastest of the persistent VFSes. Its cost: the pool is exclusive to one
 * worker at a time, so one tab holds it and the others go through that tab (`tabs/`).
 */
import sqlite3InitModule, {
  type Database,
  type PreparedStatement,
  type SAHPoolUtil,
} from '@sqlite.org/sqlite-wasm';

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>;
import type { SqlValue } from '@ferry/client';
import type { Request, Response } from './protocol.ts';

/** The VFS's directory in OPFS; one per app. */
const POOL_NAME = 'ferry';

let pool: Promise<SAHPoolUtil> | null = null;
const dbs = new Map<number, Database>();
let nextDb = 1;

/**
 * When a tab that held the database closes, the next tab gets the Web Lock as the old document
 * goes away, which can be a moment before its worker has released the pool's access handles:
 * opening is retried for a few seconds before it fails.
 */
const OPEN_TRIES = 40;
const OPEN_RETRY_MS = 125;

/**
 * `preserveOnInitFailure`: a failed start (the handles still held by another worker) must leave
 * the pool alone; without it the package deletes the pool, and with it every note. A failed
 * start is cached unless `forceReinitIfPreviouslyFailed` (documented, missing from the types).
 */
const POOL_OPTIONS = {
  name: POOL_NAME,
  preserveOnInitFailure: true,
  forceReinitIfPreviouslyFailed: true,
} as Parameters<Sqlite3['installOpfsSAHPoolVfs']>[0];

/** The module, once loaded (for binding text without the package's copies, see `bindText`). */
let sqlite: Sqlite3 | null = null;

async function installPool(): Promise<SAHPoolUtil> {
  const sqlite3 = await sqlite3InitModule();
  sqlite = sqlite3;
  for (let i = 1; ; i++) {
    try {
      return await sqlite3.installOpfsSAHPoolVfs(POOL_OPTIONS);
    } catch (e) {
      if (i >= OPEN_TRIES) throw e;
      await new Promise((r) => setTimeout(r, OPEN_RETRY_MS));
    }
  }
}

function openPool(): Promise<SAHPoolUtil> {
  pool ??= installPool();
  return pool;
}

/** The page cache, in KiB (SQLite's default is 2 000), and the WAL's pages between checkpoints. */
const CACHE_KIB = 32 * 1024;
const CHECKPOINT_PAGES = 10_000;

async function open(file: string): Promise<number> {
  const p = await openPool();
  // Each database file keeps its slot after it is closed; a new one needs a slot for itself and
  // one for its WAL.
  await p.reserveMinimumCapacity(p.getFileCount() + 4);
  const db = new p.OpfsSAHPoolDb(file.startsWith('/') ? file : `/${file}`);
  // WAL, as on the desktop. Without shared memory SQLite keeps the WAL index in this worker's
  // heap, which exclusive locking allows (the pool is this worker's alone anyway). Each commit
  // then appends to the WAL and flushes it once (synchronous = FULL: a commit survives a power
  // cut, as the driver contract asks). The rollback journal it replaces cost a create ~6 OPFS
  // flushes: the pool names, syncs and unnames the journal file at every transaction.
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  const mode = db.selectValue('PRAGMA journal_mode = WAL');
  if (mode !== 'wal')
    throw new Error(`the database would not use WAL (journal_mode ${JSON.stringify(mode)})`);
  db.exec('PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
  // A first sync writes a pulled page of 1 000 notes (and their search index) per transaction:
  // with SQLite's default 2 MB page cache it spilled pages mid-transaction and wrote them again,
  // and a checkpoint every 1 000 WAL pages (4 MB) copied the same hot pages (the indexes' and the
  // FTS index's) into the database over and over. Neither changes what a commit makes durable.
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}; PRAGMA wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
  const id = nextDb++;
  dbs.set(id, db);
  return id;
}

function database(id: number): Database {
  const db = dbs.get(id);
  if (!db) throw new Error('the database is closed');
  return db;
}

/** Prepared statements kept per database: the engine runs the same few SQL texts again and again. */
const CACHED_STATEMENTS = 64;
const statements = new Map<Database, Map<string, PreparedStatement>>();

/** `sql` prepared (from the cache when it was before), checked against `arity` parameters. */
function prepared(db: Database, sql: string, arity: number): PreparedStatement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map<string, PreparedStatement>()));
  let stmt = cache.get(sql);
  if (stmt)
    cache.delete(sql); // re-inserted below: the cache drops the least recently used
  else {
    stmt = db.prepare(sql);
    const oldest = cache.size >= CACHED_STATEMENTS ? cache.keys().next().value : undefined;
    if (oldest !== undefined) {
      cache.get(oldest)?.finalize();
      cache.delete(oldest);
    }
  }
  cache.set(sql, stmt);
  if (arity !== stmt.parameterCount)
    throw new Error(`the statement takes ${stmt.parameterCount} parameters, ${arity} were given`);
  return stmt;
}

/** Where string parameters are encoded, in the WebAssembly heap; grown when a string needs it. */
let scratch = { ptr: 0, size: 0 };
const utf8 = new TextEncoder();

/**
 * Binds `text` as UTF-8 encoded straight into a reused buffer of the WebAssembly heap, which
 * SQLite copies (SQLITE_TRANSIENT). The package's own `bind` encodes each string into a new
 * array, allocates heap for it and frees it after: in a first sync, that was the worker's
 * largest single cost.
 */
function bindText(stmt: PreparedStatement, index: number, text: string): void {
  const { wasm, capi } = sqlite!;
  // UTF-8 takes at most 3 bytes per UTF-16 unit; never 0, so the pointer is never null ('' is not NULL)
  const need = text.length * 3 + 1;
  if (need > scratch.size) {
    if (scratch.size > 0) wasm.dealloc(scratch.ptr);
    const size = Math.max(need, 64 * 1024);
    scratch = { ptr: Number(wasm.alloc(size)), size };
  }
  const heap = wasm.heap8u();
  const written =
    asciiInto(text, heap, scratch.ptr) ??
    utf8.encodeInto(text, heap.subarray(scratch.ptr, scratch.ptr + scratch.size)).written;
  const rc = capi.sqlite3_bind_text(stmt, index, scratch.ptr, written, capi.SQLITE_TRANSIENT);
  if (rc !== 0) throw new Error(`binding parameter ${index}: ${capi.sqlite3_errstr(rc)}`);
}

/** Strings this short or shorter are copied byte by byte when they are ASCII. */
const SHORT_TEXT = 64;

/**
 * `text` written at `at` when it is short and ASCII (ids, stamps, dates: most parameters), its
 * length in bytes; null otherwise. `encodeInto` costs about a microsecond a call whatever the
 * length, which a first sync paid ~10 times a row.
 */
function asciiInto(text: string, heap: Uint8Array, at: number): number | null {
  if (text.length > SHORT_TEXT) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return null;
    heap[at + i] = c;
  }
  return text.length;
}

function bindAll(stmt: PreparedStatement, params: readonly SqlValue[]): void {
  for (const [i, v] of params.entries()) {
    if (typeof v === 'string') bindText(stmt, i + 1, v);
    else stmt.bind(i + 1, v);
  }
}

/** Runs `use` on `sql` bound to `params`; the statement is reset after, whatever happens. */
function withStatement<T>(
  db: Database,
  sql: string,
  params: readonly SqlValue[],
  use: (stmt: PreparedStatement) => T,
): T {
  const stmt = prepared(db, sql, params.length);
  try {
    bindAll(stmt, params);
    return use(stmt);
  } finally {
    stmt.reset(true);
  }
}

function run(db: Database, sql: string, params: readonly SqlValue[]): number {
  return withStatement(db, sql, params, (stmt) => {
    while (stmt.step()) {
      // A statement with RETURNING yields rows; run ignores them.
    }
    return db.changes();
  });
}

function all(db: Database, sql: string, params: readonly SqlValue[]): Record<string, SqlValue>[] {
  return withStatement(db, sql, params, (stmt) => {
    const rows: Record<string, SqlValue>[] = [];
    // Blobs come back as Uint8Array, the one binary type the engine's SqlValue has.
    while (stmt.step()) rows.push(stmt.get({}) as Record<string, SqlValue>);
    return rows;
  });
}

/**
 * One statement per row as one message: all or nothing (a savepoint), unless `whole` (the caller
 * gives up its transaction if this fails, so the savepoint and the statement journals every
 * trigger-firing row keeps inside it are skipped).
 */
function runMany(
  db: Database,
  sql: string,
  rows: readonly (readonly SqlValue[])[],
  whole: boolean,
): number {
  if (rows.length === 0) return 0;
  let changes = 0;
  if (whole) {
    for (const row of rows) changes += run(db, sql, row);
    return changes;
  }
  db.exec('SAVEPOINT ferry_run_many');
  try {
    for (const row of rows) changes += run(db, sql, row);
    db.exec('RELEASE ferry_run_many');
    return changes;
  } catch (e) {
    db.exec('ROLLBACK TO ferry_run_many; RELEASE ferry_run_many');
    throw e;
  }
}

function close(db: Database): void {
  for (const stmt of statements.get(db)?.values() ?? []) stmt.finalize();
  statements.delete(db);
  db.close();
}

/** COMMIT; when it fails, the transaction is rolled back so that the next one can begin. */
function commit(db: Database): null {
  try {
    db.exec('COMMIT');
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // The failed COMMIT had ended it already.
    }
    throw e;
  }
  return null;
}

async function handle(req: Request): Promise<unknown> {
  // A read's transaction, left open by the page (nothing of it to lose if its COMMIT fails).
  if ('commitFirst' in req && req.commitFirst) {
    try {
      commit(database(req.db));
    } catch {
      // rolled back: the read is over either way
    }
  }
  if ('begin' in req && req.begin) database(req.db).exec('BEGIN IMMEDIATE');
  switch (req.op) {
    case 'open':
      return open(req.file);
    case 'commit':
      return commit(database(req.db));
    case 'exec':
      database(req.db).exec(req.sql);
      return null;
    case 'run':
      return run(database(req.db), req.sql, req.params);
    case 'all':
      return all(database(req.db), req.sql, req.params);
    case 'runMany':
      return runMany(database(req.db), req.sql, req.rows, req.whole === true);
    case 'close': {
      const db = dbs.get(req.db);
      dbs.delete(req.db);
      if (db) close(db);
      return null;
    }
  }
}

// Requests are handled one at a time, in order (the page serialises transactions itself).
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<Request>) => {
  const req = e.data;
  queue = queue.then(async () => {
    let res: Response;
    try {
      res = { id: req.id, ok: true, value: await handle(req) };
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    self.postMessage(res);
  });
};
