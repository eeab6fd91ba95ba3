/**
 * The engine's SQLite driver over the Rust shell's commands (`src-tauri/src/db.rs`). Rust owns
 * the one connection and hands it to one transaction at a time. A transaction starts in the shell
 * with its first statement (`db_begin_with`: one round trip fewer than `db_begin` then the
 * statement), so the page keeps its own transactions' functions apart too (`turn`).
 */
import type { SqlDriver, SqlReader, SqlTx, SqlValue } from '@ferry/client';
import { encodeBatch } from './shell/batch-wire.ts';
import { invoke as tauriInvoke, toShellError, type Invoke } from './shell/invoke.ts';

/** How values cross IPC: JSON, with bigints and blobs tagged (`db.rs` decodes the same tags). */
export type WireValue = string | number | null | { $int: string } | { $blob: number[] };

interface WireRows {
  columns: string[];
  rows: WireValue[][];
}

/** Encodes one bound parameter for IPC. */
export function toWire(v: SqlValue): WireValue {
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (v instanceof Uint8Array) return { $blob: Array.from(v) };
  if (typeof v === 'number' && !Number.isFinite(v))
    throw new TypeError(`cannot bind ${v} to SQLite`);
  return v;
}

/** Decodes one returned value. */
export function fromWire(v: WireValue): SqlValue {
  if (v === null || typeof v !== 'object') return v;
  if ('$int' in v) return BigInt(v.$int);
  return Uint8Array.from(v.$blob);
}

function toObjects<R>(res: WireRows): R[] {
  return res.rows.map((row) => {
    const o: Record<string, SqlValue> = {};
    res.columns.forEach((c, i) => {
      o[c] = fromWire(row[i] ?? null);
    });
    return o as R;
  });
}

/**
 * A SqlDriver whose transactions run in the Rust shell: on the app's database, or on the
 * self-test scratch database `db` (see `openScratchDriver`).
 */
export function createTauriDriver(invoke: Invoke = tauriInvoke, db?: number): SqlDriver {
  let closed = false;
  const on = db === undefined ? {} : { db };
  return {
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      if (closed) throw new Error('database is closed');
      const release = await turn(db ?? 0);
      try {
        const t = new ShellTx(invoke, on);
        let result: T;
        try {
          result = await fn(t.tx);
        } catch (e) {
          // The rollback error, if any, matters less than the one that caused it.
          await t.finish('db_rollback').catch(() => undefined);
          throw e;
        }
        await t.finish('db_commit');
        return result;
      } finally {
        release();
      }
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}

/**
 * The last transaction of each database in this page, as a promise of its end. A transaction
 * starts in the shell only with its first statement (`ShellTx`), so the shell's turn no longer
 * keeps two transactions' functions apart before then: this does, for every driver of the page.
 */
const lastOf = new Map<number, Promise<void>>();

/** Waits until the page's previous transaction on `db` has ended; returns the release of this one. */
async function turn(db: number): Promise<() => void> {
  const previous = lastOf.get(db) ?? Promise.resolve();
  let release = (): void => undefined;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  lastOf.set(db, mine);
  await previous;
  return () => {
    if (lastOf.get(db) === mine) lastOf.delete(db);
    release();
  };
}

/** The first statement of a transaction, sent with its start (`db_begin_with`, commands.rs). */
type FirstStatement =
  { kind: 'run' | 'all'; sql: string; params: WireValue[] } | { kind: 'exec'; sql: string };

/** `db_begin_with`'s answer: the transaction's id, and the first statement's result or error. */
interface Begun {
  tx: number;
  result?: unknown;
  error?: unknown;
}

/**
 * One transaction in the shell. It starts with its first statement, in one round trip
 * (`db_begin_with`) instead of `db_begin` and then the statement: each IPC call costs both
 * processes a few hundred µs of CPU, and a sync runs a few transactions per pulled page. A batch
 * as the first statement starts it with `db_begin` (the batch's body is binary); a transaction
 * that ran no statement was never started, so there is nothing to commit or roll back.
 */
class ShellTx {
  private id: number | undefined;
  /** The call that is starting the transaction, once one is under way. */
  private starting: Promise<unknown> | undefined;
  private open = true;
  readonly tx: SqlTx;

  constructor(
    private readonly invoke: Invoke,
    private readonly on: { db?: number },
  ) {
    const { on: o } = this;
    this.tx = {
      run: async (sql, params = []) => {
        const args = { sql, params: params.map(toWire) };
        const changes = await this.statement<number>({ kind: 'run', ...args }, (tx) =>
          invoke<number>('db_run', { ...o, tx, ...args }),
        );
        return { changes };
      },
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => {
        const args = { sql, params: params.map(toWire) };
        return toObjects<R>(
          await this.statement<WireRows>({ kind: 'all', ...args }, (tx) =>
            invoke<WireRows>('db_all', { ...o, tx, ...args }),
          ),
        );
      },
      exec: async (sql) => {
        await this.statement({ kind: 'exec', sql }, (tx) => invoke('db_exec', { ...o, tx, sql }));
      },
      // One round trip for all the rows: one SQL text, the shell runs it as one prepared
      // statement per row inside a savepoint (`db_batch`), or without one when the engine gives
      // up the transaction on a failure (`abortsTransaction`). The rows go as one compact
      // binary body (`shell/batch-wire.ts`), not JSON: a pulled page is most of what crosses IPC.
      runMany: async (sql, rows, opts) => {
        this.check();
        if (rows.length === 0) return { changes: 0 };
        const tx = await this.started();
        const body = encodeBatch(o.db, tx, sql, rows, opts?.abortsTransaction === true);
        return { changes: await invoke<number>('db_batch', body) };
      },
    };
  }

  private check(): void {
    if (!this.open) throw new Error('transaction already finished');
  }

  /** Runs `first`: as the statement that starts the transaction, or with `then` in the open one. */
  private async statement<R>(first: FirstStatement, then: (tx: number) => Promise<R>): Promise<R> {
    this.check();
    if (this.starting !== undefined) return then(await this.started());
    const begun = this.invoke<Begun>('db_begin_with', { ...this.on, first });
    this.starting = begun;
    const { tx, result, error } = await begun;
    this.id = tx;
    if (error !== undefined) throw toShellError(error);
    return result as R;
  }

  /** The open transaction's id, starting it with `db_begin` if no statement has. */
  private async started(): Promise<number> {
    if (this.starting === undefined)
      this.starting = this.invoke<number>('db_begin', this.on).then((tx) => {
        this.id = tx;
      });
    await this.starting.catch(() => undefined);
    if (this.id === undefined) throw new Error('the transaction did not start');
    return this.id;
  }

  /** Commits or rolls back, if a statement started the transaction. */
  async finish(cmd: 'db_commit' | 'db_rollback'): Promise<void> {
    this.open = false;
    if (this.starting === undefined) return;
    await this.starting.catch(() => undefined);
    if (this.id !== undefined) await this.invoke(cmd, { ...this.on, tx: this.id });
  }
}

/**
 * The engine's reader (`FerryOptions.reader`) over the shell's read-only connection (`db_read`):
 * the UI's list, search and open answer from the last committed state while a sync holds the
 * write connection, instead of waiting for its turn.
 */
export function createTauriReader(invoke: Invoke = tauriInvoke, db?: number): SqlReader {
  const on = db === undefined ? {} : { db };
  return {
    async all<R>(sql: string, params: readonly SqlValue[] = []) {
      return toObjects<R>(
        await invoke<WireRows>('db_read', { ...on, sql, params: params.map(toWire) }),
      );
    },
  };
}

/** Rolls back whatever a previous page (before a reload) left open. Call once at start. */
export async function resetAbandonedTransaction(invoke: Invoke = tauriInvoke): Promise<boolean> {
  return invoke<boolean>('db_reset');
}

/** A driver on a fresh scratch database (the shell allows this in self-test mode only). */
export async function openScratchDriver(invoke: Invoke = tauriInvoke): Promise<SqlDriver> {
  return createTauriDriver(invoke, await invoke<number>('db_open_scratch'));
}

/** A driver and a reader on the same fresh scratch database (self-test mode only). */
export async function openScratchPair(
  invoke: Invoke = tauriInvoke,
): Promise<{ driver: SqlDriver; reader: SqlReader }> {
  const db = await invoke<number>('db_open_scratch');
  return { driver: createTauriDriver(invoke, db), reader: createTauriReader(invoke, db) };
}
