/**
 * A stand-in for the Rust shell's commands, for `mockIPC`: the db_* commands over a real
 * better-sqlite3 database file (WAL) with the same one-transaction-at-a-time turn as `db.rs`,
 * `db_read` on a second, read-only connection as `reader.rs`, and every argument and result
 * passed through JSON as IPC does (so a bigint that is not encoded fails), except db_batch's
 * binary body, decoded as `wire.rs` does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mockIPC } from '@tauri-apps/api/mocks';
import { decodeBatch } from './batch-wire-decode.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Wire = null | number | string | { $int: string } | { $blob: number[] };

export interface FakeShell {
  calls: { cmd: string; args: Record<string, unknown> }[];
  /** Extra command handlers (token_*, http_request, …). */
  handlers: Record<string, (args: Record<string, unknown>) => unknown>;
  db: InstanceType<typeof Database>;
}

function fromWire(v: Wire): unknown {
  if (v === null || typeof v !== 'object') return v;
  if ('$int' in v) return BigInt(v.$int);
  return Buffer.from(v.$blob);
}

function toWire(v: unknown): Wire {
  if (typeof v === 'bigint')
    return Number.isSafeInteger(Number(v)) ? Number(v) : { $int: v.toString() };
  if (Buffer.isBuffer(v)) return { $blob: [...v] };
  return v as Wire;
}

/** Rejects as a command of the shell does: with its error as `{ kind, message }` (error.rs). */
function shellError(kind: string, message: string): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shape IPC delivers
  throw { kind, message };
}

/** Installs the fake shell as the IPC handler. */
export function installFakeShell(): FakeShell {
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-fake-shell-')), 'ferry.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.defaultSafeIntegers(true);
  const reader = new Database(path, { readonly: true });
  reader.defaultSafeIntegers(true);
  let nextTx = 1;
  let open: number | null = null;
  const waiting: (() => void)[] = [];
  const shell: FakeShell = { calls: [], handlers: {}, db };

  const check = (tx: unknown): void => {
    if (tx !== open) shellError('tx_not_open', `transaction ${String(tx)} is not open`);
  };
  const release = (): void => {
    open = null;
    waiting.shift()?.();
  };
  const commands: Record<string, (a: Record<string, unknown>) => unknown> = {
    async db_begin() {
      while (open !== null) await new Promise<void>((r) => waiting.push(r));
      open = nextTx++;
      db.exec('BEGIN IMMEDIATE');
      return open;
    },
    // As commands.rs: db_begin, then the first statement; its error comes back with the open
    // transaction's id rather than as a rejection.
    async db_begin_with(a) {
      const tx = await commands.db_begin!(a);
      const first = a.first as { kind: 'run' | 'all' | 'exec'; sql: string; params?: Wire[] };
      try {
        return { tx, result: await commands[`db_${first.kind}`]!({ ...first, tx }) };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return { tx, error: { kind: 'sqlite', message } };
      }
    },
    db_run(a) {
      check(a.tx);
      const r = db.prepare(a.sql as string).run(...(a.params as Wire[]).map(fromWire));
      return r.changes;
    },
    db_batch(a) {
      check(a.tx);
      const stmt = db.prepare(a.sql as string);
      const each = (): number => {
        let changes = 0;
        for (const row of a.rows as Wire[][])
          changes += Number(stmt.run(...row.map(fromWire)).changes);
        return changes;
      };
      // As db.rs: one savepoint around the rows, all or nothing, unless the caller gives up
      // its whole transaction on a failure (the WHOLE flag).
      return a.whole === true ? each() : db.transaction(each)();
    },
    db_read(a) {
      const stmt = reader.prepare(a.sql as string);
      if (!stmt.reader)
        shellError('invalid', `the read connection runs queries only: ${String(a.sql)}`);
      const rows = stmt.raw(true).all(...(a.params as Wire[]).map(fromWire)) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows: rows.map((r) => r.map(toWire)) };
    },
    db_all(a) {
      check(a.tx);
      const stmt = db.prepare(a.sql as string);
      const params = (a.params as Wire[]).map(fromWire);
      if (!stmt.reader) {
        stmt.run(...params);
        return { columns: [], rows: [] };
      }
      const rows = stmt.raw(true).all(...params) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows: rows.map((r) => r.map(toWire)) };
    },
    db_exec(a) {
      check(a.tx);
      db.exec(a.sql as string);
      return null;
    },
    db_commit(a) {
      check(a.tx);
      db.exec('COMMIT');
      release();
      return null;
    },
    db_rollback(a) {
      check(a.tx);
      db.exec('ROLLBACK');
      release();
      return null;
    },
    db_reset() {
      if (open === null) return false;
      db.exec('ROLLBACK');
      release();
      return true;
    },
  };

  mockIPC(async (cmd, payload) => {
    // A raw body is db_batch's binary encoding (wire.rs); everything else crosses as JSON.
    const args =
      payload instanceof Uint8Array
        ? (decodeBatch(payload) as unknown as Record<string, unknown>)
        : (JSON.parse(JSON.stringify(payload ?? {})) as Record<string, unknown>);
    shell.calls.push({ cmd, args });
    const handler = shell.handlers[cmd] ?? commands[cmd];
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- as Tauri does for an unknown command
    if (!handler) throw `unknown command ${cmd}`;
    try {
      const result = await handler(args);
      return JSON.parse(JSON.stringify(result ?? null)) as Json;
    } catch (e) {
      // As the shell's commands: `{ kind, message }` (error.rs); better-sqlite3's errors are SQLite's.
      if (e instanceof Error) shellError(cmd.startsWith('db_') ? 'sqlite' : 'internal', e.message);
      throw e;
    }
  });
  return shell;
}
