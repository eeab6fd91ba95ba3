/**
 * The seam between the sync engine and a SQLite database. Implementations: better-sqlite3 in
 * Node (`./node`), the Tauri bridge in the desktop app. Every implementation passes the shared
 * checks in `./testing` (`driverChecks` for this contract, `storeChecks` for the engine's storage
 * on top of it).
 */

/** A value SQLite can bind or return. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** How a `runMany` call may be run. */
export interface RunManyOptions {
  /**
   * The caller gives up the whole transaction when this call throws (the error leaves
   * `transaction`'s function, which rolls everything back), so the rows before a failing one need
   * not be undone on their own: a driver may then skip what makes the call all or nothing. In
   * SQLite that is a savepoint, inside which every statement that fires a trigger keeps a
   * statement journal: ~10 µs more for each pulled row whose insert fires the search index's
   * trigger (docs/benchmarks.md, "The engine's cost per pulled row"). Rows still run in order, and
   * a failure is still thrown.
   */
  readonly abortsTransaction?: boolean;
}

/** Statements inside one transaction. */
export interface SqlTx {
  /** Runs one statement; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs one query; returns its rows as objects keyed by column name. */
  all<R = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Optional: runs one statement once per parameter row, in order, as ONE call (a driver whose
   * calls are expensive, like the Tauri bridge's IPC round trip, sends them together); returns
   * the total of changed rows. All or nothing: when a row fails (a constraint, a wrong number of
   * parameters), the rows before it in this call are undone too, the error is thrown and the
   * transaction stays usable, as after a failing `run` (unless `opts.abortsTransaction`, see
   * there). Callers use `runMany()` from `batch.ts`, which falls back to `run` in a savepoint
   * for drivers without it.
   */
  runMany?(
    sql: string,
    rows: readonly (readonly SqlValue[])[],
    opts?: RunManyOptions,
  ): Promise<{ changes: number }>;
}

/**
 * Optional: single-statement queries on a separate, read-only connection to the same database
 * (SQLite in WAL mode lets it read while another connection writes). Each query sees everything
 * committed before it started and nothing of a transaction still open, and never waits for one.
 * The engine uses it for `get` and `list` (what a UI reads while a sync writes); everything else,
 * and every read inside a write, goes through the driver.
 */
export interface SqlReader {
  all<R = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
}

/**
 * One SQLite database.
 *
 * Contract every implementation must keep:
 * - `transaction(fn)` is atomic and durable: when its promise resolves, every statement `fn` ran
 *   is committed (and survives a power cut: WAL with `synchronous=FULL`, or the journal
 *   equivalent); when `fn` throws, none of them is, and the error is rethrown.
 * - Transactions are serializable and do not interleave: no statement of another transaction,
 *   from this process, runs between this transaction's first statement and its commit. Calls made
 *   while a transaction is open wait their turn; they never fail with "database is locked".
 * - `fn` must only use the `tx` it is given, and must not call `transaction` again (no nesting).
 */
export interface SqlDriver {
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Closes the database; later calls fail. */
  close(): Promise<void>;
}
