/**
 * The engine's `SqlDriver` over the database worker: a transaction is `BEGIN IMMEDIATE` …
 * `COMMIT` (or `ROLLBACK` when its function throws), one at a time in call order (a FIFO lock),
 * each statement one message to the worker.
 */
import { Mutex, type SqlDriver, type SqlTx, type SqlValue } from '@ferry/client';
import type { WorkerLink } from './worker-link.ts';

/** Opens (creating if needed) the database `file` in the worker's OPFS pool. */
export async function openWasmDriver(link: WorkerLink, file: string): Promise<SqlDriver> {
  const db = await link.call<number>({ op: 'open', file });
  const lock = new Mutex();
  let closed = false;
  const exec = (sql: string) => link.call<null>({ op: 'exec', db, sql });
  const tx: SqlTx = {
    run: async (sql, params = []) => ({
      changes: await link.call<number>({ op: 'run', db, sql, params }),
    }),
    all: <R>(sql: string, params: readonly SqlValue[] = []) =>
      link.call<R[]>({ op: 'all', db, sql, params }),
    exec: async (sql) => {
      await exec(sql);
    },
    runMany: async (sql, rows) => ({
      changes: await link.call<number>({ op: 'runMany', db, sql, rows }),
    }),
  };
  return {
    transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      return lock.run(async () => {
        if (closed) throw new Error('the database is closed');
        await exec('BEGIN IMMEDIATE');
        let result: T;
        try {
          result = await fn(tx);
          await exec('COMMIT');
        } catch (e) {
          // A failed statement may already have ended the transaction; the error that matters
          // is the one that got here.
          await exec('ROLLBACK').catch(() => undefined);
          throw e;
        }
        return result;
      });
    },
    close(): Promise<void> {
      return lock.run(async () => {
        if (closed) return;
        closed = true;
        await link.call<null>({ op: 'close', db });
      });
    },
  };
}
