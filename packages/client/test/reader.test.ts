import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlReader } from '../src/driver.ts';
import { memoryTokenStore, openFerry, type Ferry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

/** A reader on a second, read-only better-sqlite3 connection to the same file. */
function nodeReader(path: string): SqlReader & { close(): void; queries: number } {
  const db = new Database(path, { readonly: true });
  const r = {
    queries: 0,
    all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      r.queries++;
      return Promise.resolve(db.prepare(sql).all(...params) as R[]);
    },
    close: () => db.close(),
  };
  return r;
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function setup(withReader: boolean): Promise<{
  f: Ferry<typeof ferryTables>;
  reader: ReturnType<typeof nodeReader> | null;
  hold: () => { release: () => Promise<void> };
}> {
  const path = tempDbPath();
  const driver = await openNodeDriver(path);
  const f0 = await openFerry({ ...ferrySchema, driver, tokenStore: memoryTokenStore() });
  const reader = withReader ? nodeReader(path) : null;
  const f = reader
    ? await openFerry({ ...ferrySchema, driver, reader, tokenStore: memoryTokenStore() })
    : f0;
  cleanup = async () => {
    reader?.close();
    await f.close();
  };
  /** Opens a write transaction (a sync applying a page) with an uncommitted note, held until released. */
  const hold = () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const before = cleanup;
    // A failed assertion must not leave the transaction (and the test's cleanup) hanging.
    cleanup = async () => {
      open();
      await before?.();
    };
    const done = driver.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO notes (id, title, content, created_at, updated_at, synced) VALUES ('0193a1c3-0000-7000-8000-00000000f00d', 'uncommitted', '', '2030-01-01', '2030-01-01', 1)",
      );
      await gate;
    });
    return {
      release: async () => {
        open();
        await done;
      },
    };
  };
  return { f, reader, hold };
}

/** Resolves with `p`'s value, or 'still waiting' if it has not settled after `ms`. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> =>
  Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);

describe('reads on a separate read-only connection (FerryOptions.reader)', () => {
  it('list, search and get answer while a write transaction is open, with committed rows only', async () => {
    const { f, reader, hold } = await setup(true);
    const n = await f.tables.notes.create({ title: 'committed note', content: 'hello' });
    const held = hold();
    // Generous bound: the reads must not wait for the held transaction at all (it is released
    // only after them); 2 s is only so a waiting read fails the test instead of hanging it.
    expect((await within(f.tables.notes.list(), 2000)) as unknown[]).toHaveLength(1);
    expect(await within(f.tables.notes.list({ search: 'commit' }), 2000)).toMatchObject([
      { id: n.id },
    ]);
    expect(await within(f.tables.notes.get(n.id), 2000)).toMatchObject({ title: 'committed note' });
    expect(
      await within(f.tables.notes.get('0193a1c3-0000-7000-8000-00000000f00d'), 2000),
    ).toBeNull();
    await held.release();
    expect((await f.tables.notes.list()).map((x) => x.title).sort()).toEqual([
      'committed note',
      'uncommitted',
    ]);
    expect(reader?.queries).toBe(5);
  });

  it('a write is visible to the next read (the reader sees every committed write)', async () => {
    const { f } = await setup(true);
    const n = await f.tables.notes.create({ title: 'a' });
    await f.tables.notes.update(n.id, { title: 'b' });
    expect((await f.tables.notes.get(n.id))?.title).toBe('b');
    await f.tables.notes.remove(n.id);
    expect(await f.tables.notes.list()).toEqual([]);
    expect(await f.tables.notes.list({ deleted: 'only' })).toMatchObject([{ id: n.id }]);
  });

  it('without a reader, reads wait for the write transaction (what the reader is for)', async () => {
    const { f, hold } = await setup(false);
    await f.tables.notes.create({ title: 'committed note' });
    const held = hold();
    const list = f.tables.notes.list();
    expect(await within(list, 300)).toBe('still waiting');
    await held.release();
    expect(await list).toHaveLength(2);
  });
});
