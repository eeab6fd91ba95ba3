/**
 * The engine's SQLite driver over the Rust shell's commands (`src-tauri/src/db.rs`). Rust owns
 * the one connection and hands it to one transaction at a time, so this side needs no lock of
 * its own: a second `transaction` simply waits inside `db_begin`.
 */
import type { SqlDriver, SqlReader, SqlTx, SqlValue } from '@ferry/client';
import { encodeBatch } from './shell/batch-wire.ts';
import { invoke as tauriInvoke, type Invoke } from './shell/invoke.ts';

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
      const id = await invoke<number>('db_begin', on);
      let open = true;
      const check = (): void => {
        if (!open) throw new Error('transaction already finished');
      };
      const tx: SqlTx = {
        async run(sql, params = []) {
          check();
          const changes = await invoke<number>('db_run', {
            ...on,
            tx: id,
            sql,
            params: params.map(toWire),
          });
          return { changes };
        },
        async all<R>(sql: string, params: readonly SqlValue[] = []) {
          check();
          return toObjects<R>(
            await invoke<WireRows>('db_all', { ...on, tx: id, sql, params: params.map(toWire) }),
          );
        },
        async exec(sql) {
          check();
          await invoke('db_exec', { ...on, tx: id, sql });
        },
        // One round trip for all the rows: one SQL text, the shell runs it as one prepared
        // statement per row inside a savepoint (`db_batch`), or without one when the engine gives
        // up the transaction on a failure (`abortsTransaction`). The rows go as one compact
        // binary body (`shell/batch-wire.ts`), not JSON: a pulled page is most of what crosses IPC.
        async runMany(sql, rows, opts) {
          check();
          if (rows.length === 0) return { changes: 0 };
          const body = encodeBatch(db, id, sql, rows, opts?.abortsTransaction === true);
          const changes = await invoke<number>('db_batch', body);
          return { changes };
        },
      };
      let result: T;
      try {
        result = await fn(tx);
      } catch (e) {
        open = false;
        // The rollback error, if any, matters less than the one that caused it.
        await invoke('db_rollback', { ...on, tx: id }).catch(() => undefined);
        throw e;
      }
      open = false;
      await invoke('db_commit', { ...on, tx: id });
      return result;
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
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
