import { describe, expect, it } from 'vitest';
import type { SqlDriver, SqlTx } from '../src/driver.ts';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { enqueue, pendingFieldsOf } from '../src/outbox.ts';
import { FakeRemote } from '../src/testing/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

/** A driver that records the SQL of every query (`all`) it runs. */
function recording(inner: SqlDriver, queries: string[]): SqlDriver {
  const wrap = (tx: SqlTx): SqlTx => {
    return {
      run: (sql, params) => tx.run(sql, params),
      all: (sql, params) => {
        queries.push(sql);
        return tx.all(sql, params);
      },
      exec: (sql) => tx.exec(sql),
    };
  };
  return {
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
    close: () => inner.close(),
  };
}

/**
 * Pulls one page of `rows` rows while a local edit is queued (made while the request is in
 * flight, so it is not sent and stays in the outbox during the apply); returns how many queries
 * during that sync read queued entries of given records (the pending-field check).
 */
async function pendingQueriesForPage(rows: number): Promise<number> {
  const queries: string[] = [];
  const remote = new FakeRemote();
  const f = await openFerry({
    ...ferrySchema,
    driver: recording(await openNodeDriver(tempDbPath()), queries),
    tokenStore: memoryTokenStore(),
    http: remote.http,
  });
  try {
    await f.login('http://127.0.0.1:9', 'me@example.com', 'password1');
    const mine = await f.tables.notes.create({ title: 'mine' });
    await f.sync();
    const t = new Date().toISOString();
    for (let i = 0; i < rows; i++) {
      remote.put('notes', {
        id: `0193a1c3-0000-7000-8000-${String(i).padStart(12, '0')}`,
        title: `theirs ${i}`,
        content: '',
        created_at: t,
        updated_at: t,
        deleted_at: null,
      });
    }
    remote.during = async () => {
      await f.tables.notes.update(mine.id, { title: 'edited while the page was in flight' });
    };
    queries.length = 0;
    await f.sync();
    expect(await f.tables.notes.list({ limit: rows + 10 })).toHaveLength(rows + 1);
    expect((await f.tables.notes.get(mine.id))?.title).toBe('edited while the page was in flight');
    return queries.filter((s) => /FROM sync_queue\b.*\brecord_id\b/is.test(s)).length;
  } finally {
    await f.close();
  }
}

describe('the pending-field check of a pulled page', () => {
  it('costs a constant number of queries per page, not one per row', async () => {
    const small = await pendingQueriesForPage(10);
    const large = await pendingQueriesForPage(300);
    expect({ small, large }).toEqual({ small, large: small });
    expect(large).toBeLessThanOrEqual(3);
  });
});

describe('pendingFieldsOf', () => {
  it('gathers the fields of every queued entry of each asked record, and nothing for the others', async () => {
    const d = await openNodeDriver(tempDbPath());
    const f = await openFerry({ ...ferrySchema, driver: d, tokenStore: memoryTokenStore() });
    const at = '2025-01-01T00:00:00.000Z';
    const entry = (table: string, recordId: string, fields: Record<string, unknown>) =>
      ({
        table,
        recordId,
        op: 'upsert',
        fields,
        hlc: `${at}-x`,
        baseVersion: null,
        createdAt: at,
      }) as const;
    const lookup = await d.transaction(async (tx) => {
      await enqueue(tx, entry('notes', 'a', { title: 't' }));
      await enqueue(tx, entry('notes', 'a', { content: 'c' }));
      await enqueue(tx, entry('notes', 'b', { title: 't' }));
      await enqueue(tx, entry('other', 'a', { colour: 'red' }));
      return pendingFieldsOf(tx, [
        { table: 'notes', id: 'a' },
        { table: 'other', id: 'a' },
        { table: 'notes', id: 'c' },
      ]);
    });
    expect(lookup('notes', 'a')).toEqual(new Set(['title', 'content']));
    expect(lookup('other', 'a')).toEqual(new Set(['colour']));
    expect(lookup('notes', 'c')).toBeNull();
    expect(lookup('notes', 'b')).toBeNull(); // queued, but not asked for
    expect(
      await d.transaction((tx) => pendingFieldsOf(tx, []).then((l) => l('notes', 'a'))),
    ).toBeNull();
    await f.close();
  });
});
