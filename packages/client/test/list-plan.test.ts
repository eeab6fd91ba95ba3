/**
 * The notes list's queries from an anchor (what the UI runs after every pulled page of a first
 * sync: the rows from its anchor and how many sort above it) read an index range, not every row
 * below or above the anchor. Before the list index covered them, the count looked up each row
 * above the anchor in the table (for `deleted_at`) and the list sorted every row below it: both
 * grow with the table, so a first sync of 100 000 notes in the browser spent 59 of its 107 s
 * counting.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SqlDriver, SqlTx, SqlValue } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { openTestFerry, tempDbPath } from './helpers.ts';

interface Query {
  sql: string;
  params: readonly SqlValue[];
}

/** A driver over `inner` that records the SQL of every query into `seen`. */
function recording(inner: SqlDriver, seen: Query[]): SqlDriver {
  const watch = (tx: SqlTx): SqlTx => ({
    run: (sql, params) => tx.run(sql, params),
    exec: (sql) => tx.exec(sql),
    all: <R>(sql: string, params: readonly SqlValue[] = []) => {
      seen.push({ sql, params });
      return tx.all<R>(sql, params);
    },
  });
  return {
    transaction: (fn) => inner.transaction((tx) => fn(watch(tx))),
    close: () => inner.close(),
  };
}

describe('the list queries from an anchor', () => {
  it('read the list index only: no sort, no row looked up to count', async () => {
    const path = tempDbPath();
    const seen: Query[] = [];
    const f = await openTestFerry({ driver: recording(await openNodeDriver(path), seen) });
    const notes = [];
    for (let i = 0; i < 5; i++) notes.push(await f.tables.notes.create({ title: `n${i}` }));
    const at = { updated: notes[2]!.updated_at, id: notes[2]!.id };
    seen.length = 0;
    await f.tables.notes.list({ from: at, deleted: false, limit: 51 });
    await f.tables.notes.count({ before: at, deleted: false });
    await f.close();
    expect(seen).toHaveLength(2);
    const db = new Database(path, { readonly: true });
    const plan = (q: Query): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    const [list, count] = seen.map(plan);
    db.close();
    expect(list).not.toMatch(/TEMP B-TREE|SCAN notes\b/);
    expect(count).toMatch(/USING COVERING INDEX/);
  });
});
