import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, purgeTombstones, type Database } from '../src/index.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';
import { ferryTables, withTextConflicts } from '@ferry/protocol';

describe('tombstone purge', () => {
  let s: TestServer;
  let db: Database;
  beforeAll(async () => {
    s = await startTestServer({ purgeIntervalMs: 0 });
    db = openDatabase(s.dbUrl, 2);
  });
  afterAll(async () => {
    await db.close();
    await s.close();
  });

  it('purges old tombstones and sends cursors from before them to resync (410)', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const keep = newId();
    const gone = newId();
    await d.sync([d.mutation('notes', keep, 'upsert', newNote('keep', 'x'))]);
    const stale = new Device(s.url, u.token);
    await stale.sync();
    expect(stale.cursor).toBe('1');
    await d.sync([d.mutation('notes', gone, 'upsert', newNote('gone', 'x'))]);
    await d.sync([
      d.mutation('notes', gone, 'delete', { deleted_at: '2020-01-01T00:00:00.000Z' }, 1),
    ]);
    // A recent deletion is kept.
    const recent = newId();
    await d.sync([d.mutation('notes', recent, 'upsert', newNote('recent', 'x'))]);
    await d.sync([d.mutation('notes', recent, 'delete', {}, 1)]);

    expect(await purgeTombstones(db, withTextConflicts(ferryTables), 24 * 60 * 60 * 1000)).toBe(1);

    const r = await stale.sync();
    expect(r.status).toBe(410);
    expect(r.body).toEqual({
      error: { code: 'resync_required', message: expect.any(String) as unknown },
    });
    const fresh = new Device(s.url, u.token);
    const all = await fresh.sync();
    expect(all.status).toBe(200);
    expect(all.body.changes.map((c) => c.row.id).sort()).toEqual([keep, recent].sort());
    // A client already past the purged position carries on.
    expect((await d.sync()).status).toBe(200);
    // A push with a stale cursor is refused whole, nothing applied.
    const before = (await fresh.sync()).body.cursor;
    const push = await stale.sync([stale.mutation('notes', newId(), 'upsert', newNote())]);
    expect(push.status).toBe(410);
    expect((await fresh.sync()).body.cursor).toBe(before);
  });
});
