/**
 * The engine's `SqlDriver` over the database worker: a transaction is `BEGIN IMMEDIATE` …
 * `COMMIT` (or `ROLLBACK` when its function throws), one at a time in call order (a FIFO lock).
 * Each statement is one round trip to the worker; BEGIN rides with the first statement, and a
 * transaction that only read (`SELECT`s) answers without a COMMIT of its own: it has nothing to
 * make durable, so its COMMIT rides with the next request to the worker (`commitFirst`), which
 * runs it before anything else (see `protocol.ts`).
 */
import { Mutex, type SqlDriver, type SqlTx, type SqlValue } from '@ferry/client';
import type { Call } from './protocol.ts';
import type { WorkerLink } from './worker-link.ts';

/** A statement that cannot write. */
const READ_ONLY = /^\s*SELECT\b/i;

type Statement = Extract<Call, { sql: string }>;

/** One transaction's statements; `begun` once the first was sent, `wrote` once one may write. */
class WorkerTx {
  begun = false;
  wrote = false;

  constructor(
    private readonly link: DbLink,
    private readonly db: number,
  ) {}

  private send<T>(req: Statement): Promise<T> {
    if (!(req.op === 'all' && READ_ONLY.test(req.sql))) this.wrote = true;
    if (this.begun) return this.link.call<T>(req);
    this.begun = true;
    return this.link.call<T>({ ...req, begin: true });
  }

  readonly tx: SqlTx = {
    run: async (sql, params = []) => ({
      changes: await this.send<number>({ op: 'run', db: this.db, sql, params }),
    }),
    all: <R>(sql: string, params: readonly SqlValue[] = []) =>
      this.send<R[]>({ op: 'all', db: this.db, sql, params }),
    exec: async (sql) => {
      await this.send<null>({ op: 'exec', db: this.db, sql });
    },
    runMany: async (sql, rows, opts) => ({
      changes: await this.send<number>({
        op: 'runMany',
        db: this.db,
        sql,
        rows,
        ...(opts?.abortsTransaction === true ? { whole: true as const } : {}),
      }),
    }),
  };
}

/** The worker link of one database: adds `commitFirst` to the request after a read's. */
interface DbLink {
  call<T>(req: Call): Promise<T>;
  /** The transaction a read left open: the next request commits it first. */
  leaveOpen(): void;
}

function dbLink(link: WorkerLink): DbLink {
  let open = false;
  return {
    call<T>(req: Call): Promise<T> {
      if (!open || req.op === 'open') return link.call<T>(req);
      open = false;
      return link.call<T>({ ...req, commitFirst: true });
    },
    leaveOpen() {
      open = true;
    },
  };
}

/** Opens (creating if needed) the database `file` in the worker's OPFS pool. */
export async function openWasmDriver(worker: WorkerLink, file: string): Promise<SqlDriver> {
  const db = await worker.call<number>({ op: 'open', file });
  const link = dbLink(worker);
  const lock = new Mutex();
  let closed = false;

  /** Runs `fn` in a transaction; calls `answer` as soon as its result may be given out. */
  const run = async <T>(fn: (tx: SqlTx) => Promise<T>, answer: (v: T) => void): Promise<void> => {
    if (closed) throw new Error('the database is closed');
    const t = new WorkerTx(link, db);
    let result: T;
    try {
      result = await fn(t.tx);
    } catch (e) {
      // A failed statement may already have ended the transaction; the error that matters
      // is the one that got here.
      if (t.begun) await link.call({ op: 'exec', db, sql: 'ROLLBACK' }).catch(() => undefined);
      throw e;
    }
    if (!t.begun) return answer(result);
    if (t.wrote) await link.call<null>({ op: 'commit', db });
    // A read's COMMIT rides with the next request. Until then its BEGIN IMMEDIATE holds the
    // database's write lock: harmless with the worker's one connection, but a second (reader)
    // connection, as the desktop has, would have to commit reads at once.
    else link.leaveOpen();
    answer(result);
  };

  return {
    transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        lock.run(() => run(fn, resolve)).catch(reject);
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
