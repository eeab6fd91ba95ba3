import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.ts';
import { purgeRevisions } from '../src/purge-revisions.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';
import { ferryTables, withTextConflicts } from '@ferry/protocol';

// Revision retention: every revision for keepAll, then the last of each day until keepDaily.
const DAY = 24 * 60 * 60 * 1000;
let s: TestServer;
let db: Database;
beforeAll(async () => {
  s = await startTestServer();
  db = openDatabase(s.dbUrl, 2);
});
afterAll(async () => {
  await db?.close();
  await s?.close();
});

async function versions(id: string): Promise<number[]> {
  const rows = await db.query<{ v: string }>(
    'SELECT version::text AS v FROM revisions WHERE record_id = $1 ORDER BY version',
    [id],
  );
  return rows.map((r) => Number(r.v));
}

describe('purgeRevisions', () => {
  it('keeps every recent revision, the last of each older day, nothing older than a year but the newest', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const id = newId();
    await d.sync([d.mutation('notes', id, 'upsert', newNote('t', 'v1'))]);
    for (let v = 2; v <= 9; v++)
      await d.sync([d.mutation('notes', id, 'upsert', { content: `v${v}` }, v - 1)]);
    const now = Date.now();
    // Ages: v1–v2 400 days (past the daily window), v3–v5 on day -40, v6–v7 on day -35,
    // v8–v9 recent.
    // Noon UTC of the day `days` ago, plus minutes: never across a day boundary.
    const at = (days: number, minutes: number): Date =>
      new Date(Math.floor((now - days * DAY) / DAY) * DAY + DAY / 2 + minutes * 60_000);
    const ages: Record<number, Date> = {
      1: at(400, 0),
      2: at(400, 1),
      3: at(40, 0),
      4: at(40, 1),
      5: at(40, 2),
      6: at(35, 0),
      7: at(35, 1),
    };
    const c = new pg.Client({ connectionString: s.dbUrl });
    await c.connect();
    for (const [v, t] of Object.entries(ages))
      await c.query('UPDATE revisions SET created_at = $1 WHERE record_id = $2 AND version = $3', [
        t,
        id,
        Number(v),
      ]);
    await c.end();
    const retention = { keepAllMs: 30 * DAY, keepDailyMs: 365 * DAY };
    expect(await purgeRevisions(db, withTextConflicts(ferryTables), retention, now)).toBe(5);
    expect(await versions(id)).toEqual([5, 7, 8, 9]);
    // Idempotent; 0 keeps everything.
    expect(await purgeRevisions(db, withTextConflicts(ferryTables), retention, now)).toBe(0);
    expect(
      await purgeRevisions(
        db,
        withTextConflicts(ferryTables),
        { keepAllMs: 0, keepDailyMs: 0 },
        now + 1000 * DAY,
      ),
    ).toBe(0);
    // Even a year later, the newest revision stays.
    await purgeRevisions(db, withTextConflicts(ferryTables), retention, now + 1000 * DAY);
    expect(await versions(id)).toEqual([9]);
  });

  it('an edit whose base revision was purged becomes a conflict: nothing lost', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const id = newId();
    await a.sync([a.mutation('notes', id, 'upsert', newNote('t', 'one\ntwo\n'))]);
    await a.sync([a.mutation('notes', id, 'upsert', { content: 'one\ntwo, edited\n' }, 1)]);
    await db.query(
      "UPDATE revisions SET created_at = now() - interval '400 days' WHERE record_id = $1 AND version = 1",
      [id],
    );
    await purgeRevisions(db, withTextConflicts(ferryTables), {
      keepAllMs: 30 * DAY,
      keepDailyMs: 365 * DAY,
    });
    expect(await versions(id)).toEqual([2]);
    // A device offline since version 1 edits line 1: its base is gone.
    const old = new Device(s.url, u.token);
    const r = await old.sync([
      old.mutation('notes', id, 'upsert', { content: 'one, offline\ntwo\n' }, 1),
    ]);
    const conflict = r.body.changes.find(
      (x) => x.table === 'text_conflicts' && x.row.record_id === id,
    )?.row;
    expect(conflict).toBeDefined();
    const hunks = JSON.parse(conflict!.hunks as string) as { kept: string; other: string }[];
    const row = r.body.changes.find((x) => x.table === 'notes' && x.row.id === id)!.row;
    const everything = `${String(row.content)} ${hunks.map((h) => `${h.kept} ${h.other}`).join(' ')}`;
    expect(everything).toContain('one, offline');
    expect(everything).toContain('two, edited');
  });
});
