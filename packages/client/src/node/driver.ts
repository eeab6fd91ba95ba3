import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlTx, SqlValue } from '../driver.ts';
import { Mutex } from '../mutex.ts';

/** better-sqlite3's connection and prepared statement, as this driver uses them. */
type Db = InstanceType<typeof Database>;
type Stmt = Database.Statement<unknown[], unknown>;

export interface NodeDriverOptions {
  /** Milliseconds another process's write lock is waited for. */
  busyTimeoutMs?: number;
  /**
   * 'FULL' (default): a committed transaction survives a power cut. 'NORMAL' skips the fsync per
   * commit (survives a crash of the process, not of the machine): for benchmarks and throwaway
   * databases only.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * WAL checkpoints run when the database has been idle this long (default 250 ms) instead of
   * inside whichever write happens to cross SQLite's threshold, so a keystroke's save does not pay
   * for copying the WAL back. 0 keeps SQLite's automatic checkpoints.
   */
  idleCheckpointMs?: number;
}

/** Commits after which a checkpoint runs inline even without an idle moment, bounding the WAL. */
const MAX_COMMITS_BETWEEN_CHECKPOINTS = 2000;

/**
 * A SqlDriver over better-sqlite3: WAL, synchronous=FULL (a committed outbox entry survives a
 * power cut), foreign keys on; one async mutex so transactions never interleave, each one
 * `BEGIN IMMEDIATE` … `COMMIT` so another process cannot slip a write between our read and write.
 */
export async function openNodeDriver(
  path: string,
  opts: NodeDriverOptions = {},
): Promise<SqlDriver> {
  const wal = path !== ':memory:' && path !== '';
  if (wal) createPrivate(path);
  const db = new Database(path);
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  if (wal) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // Savepoints (each `runMany` is one) and statement journals copy the pages they change into a
  // sub-journal, a temporary file once it outgrows 64 KiB: in memory instead, which made pulling
  // a page of rows whose inserts fire the search index's triggers ~9 µs a row cheaper
  // (docs/benchmarks.md, "The engine's cost per pulled row").
  db.pragma('temp_store = MEMORY');
  if (wal) makePrivate(path);
  const idleMs = wal ? (opts.idleCheckpointMs ?? 250) : 0;
  if (idleMs > 0) db.pragma('wal_autocheckpoint = 0');
  return Promise.resolve(new NodeDriver(db, idleMs));
}

/**
 * Creates a new database file with mode 0600 (owner only), like the token next to it: the rows
 * are as private as the token. SQLite creates the -wal and -shm files with the database file's
 * mode. An existing file is left to `makePrivate`.
 */
function createPrivate(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // It exists (tightened below), or cannot be created: better-sqlite3 reports that with its own message.
  }
}

/** Tightens the database, its -wal and -shm (made by an older build, or copied in) to 0600. */
function makePrivate(path: string): void {
  if (process.platform === 'win32') return;
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const { mode } = statSync(p);
      if ((mode & 0o077) !== 0) chmodSync(p, mode & 0o700);
    } catch {
      // Gone (no WAL yet), or owned by someone else: nothing this process may change.
    }
  }
}

class NodeDriver implements SqlDriver {
  private readonly mutex = new Mutex();
  private readonly cache = new Map<string, Stmt>();
  private closed = false;
  private commits = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly db: Db,
    private readonly idleCheckpointMs: number,
  ) {}

  /** After a commit: checkpoint now if the WAL has grown long, else once the database is idle. */
  private afterCommit(): void {
    if (this.idleCheckpointMs <= 0) return;
    this.commits++;
    if (this.commits >= MAX_COMMITS_BETWEEN_CHECKPOINTS) {
      this.checkpoint();
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      // Through the mutex, so it never lands inside a transaction.
      void this.mutex.run(() => {
        if (!this.closed) this.checkpoint();
        return Promise.resolve();
      });
    }, this.idleCheckpointMs);
    // An idle checkpoint is housekeeping: it must not keep a CLI process alive.
    this.idleTimer.unref();
  }

  private checkpoint(): void {
    this.commits = 0;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Another process holds the database busy: the next idle moment tries again.
    }
  }

  private stmt(sql: string): Stmt {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare<unknown[], unknown>(sql);
      // Statements are reused: the engine runs a few dozen distinct SQL strings, the bench millions of calls.
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (this.closed) throw new Error('database is closed');
      let open = true;
      const check = (): void => {
        if (!open) throw new Error('transaction already finished');
      };
      const tx: SqlTx = {
        run: (sql, params = []) => {
          check();
          const r = this.stmt(sql).run(...params);
          return Promise.resolve({ changes: r.changes });
        },
        runMany: (sql, rows, opts) => {
          check();
          const s = this.stmt(sql);
          const each = (): number => {
            let n = 0;
            for (const r of rows) n += s.run(...r).changes;
            return n;
          };
          // All or nothing through a savepoint (better-sqlite3 runs a transaction function inside
          // an open transaction as one), unless the caller gives up the whole transaction anyway.
          const changes = opts?.abortsTransaction === true ? each() : this.db.transaction(each)();
          return Promise.resolve({ changes });
        },
        all: <R>(sql: string, params: readonly SqlValue[] = []) => {
          check();
          const s = this.stmt(sql);
          if (!s.reader) {
            s.run(...params);
            return Promise.resolve([]);
          }
          return Promise.resolve(s.all(...params) as R[]);
        },
        exec: (sql) => {
          check();
          this.db.exec(sql);
          return Promise.resolve();
        },
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        open = false;
        this.db.exec('COMMIT');
        this.afterCommit();
        return result;
      } catch (e) {
        open = false;
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(() => {
      if (!this.closed) {
        this.closed = true;
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.cache.clear();
        this.db.close();
      }
      return Promise.resolve();
    });
  }
}
