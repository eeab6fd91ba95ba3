import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ferrySchema } from '@ferry/protocol';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';

// Opening a database that is already at the app's schema must not write: every commit costs an
// fsync (synchronous=FULL), and a short command (`ferry ls`, an empty `ferry sync`) opens the
// database every time. The WAL holds a frame for every page a commit wrote, so its size tells.

/** Bytes in the database's WAL (0 when it exists and is empty). */
const walBytes = (path: string): number => statSync(`${path}-wal`).size;

async function open(path: string) {
  return openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(path),
    tokenStore: memoryTokenStore(),
  });
}

describe('opening an up-to-date database', () => {
  it('writes nothing: the WAL stays empty', async () => {
    const path = tempDbPath();
    const first = await open(path);
    await first.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    // Closing the last connection checkpoints the WAL into the database and deletes it.
    await first.close();
    // A local write's text waits in the index's pending list for the next page or open.
    await (await open(path)).close();
    const again = await open(path);
    expect(walBytes(path)).toBe(0);
    // Still the same engine: the note is there and found by the index.
    expect((await again.tables.notes.list({ search: 'kiwi' })).map((n) => n.title)).toEqual([
      'Groceries',
    ]);
    await again.close();
  });

  it('still indexes rows left pending by a crash before their page was indexed', async () => {
    const path = tempDbPath();
    const first = await open(path);
    await first.close();
    // A row the triggers put in the pending list, as if the process died before indexPending.
    const db = new Database(path);
    db.prepare(
      "INSERT INTO notes (id, title, content, version, synced, created_at, updated_at) VALUES ('0193a1c2-0000-7000-8000-000000000001', 'Pending', 'kiwis again', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    ).run();
    expect(db.prepare('SELECT count(*) AS n FROM notes__search_pending').get()).toEqual({ n: 1 });
    db.close();
    const again = await open(path);
    expect(walBytes(path)).toBeGreaterThan(0);
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM notes__search_pending').get()).toEqual({
      n: 0,
    });
    check.close();
    expect((await again.tables.notes.list({ search: 'kiwi' })).map((n) => n.title)).toEqual([
      'Pending',
    ]);
    await again.close();
  });
});
