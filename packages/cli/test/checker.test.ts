import Database from 'better-sqlite3';
import { memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { describe, expect, it } from 'vitest';
import { checkDatabase } from './support/db-check.ts';
import { tempDir } from './support/tmp.ts';
import { WriteModel, diffRows } from './support/model.ts';
import { mulberry32 } from './support/prng.ts';
import { ferrySchema } from '@ferry/protocol';

// The simulation is only as good as its oracle: these feed it wrong states and expect it to say so.
const A = '0193a1c2-0000-7000-8000-000000000001';
const B = '0193a1c2-0000-7000-8000-000000000002';
const h = (wall: number, node = '00000000000000aa'): string =>
  `${String(wall).padStart(15, '0')}-00000-${node}`;

function model(): WriteModel {
  const m = new WriteModel();
  m.record({
    client: 'c1',
    table: 'notes',
    id: A,
    hlc: h(1),
    fields: { title: 'one', content: 'x', deleted_at: null },
  });
  m.record({
    client: 'c2',
    table: 'notes',
    id: A,
    hlc: h(3, '00000000000000bb'),
    fields: { title: 'three' },
  });
  // An older write arriving later must not win.
  m.record({
    client: 'c1',
    table: 'notes',
    id: A,
    hlc: h(2),
    fields: { title: 'two', content: 'y' },
  });
  m.record({
    client: 'c1',
    table: 'notes',
    id: B,
    hlc: h(5),
    fields: { title: 'b', content: '', deleted_at: '2026-01-01T00:00:00.000Z' },
  });
  return m;
}

describe('WriteModel', () => {
  it('accepts the per-field last-writer-wins state', () => {
    const rows = [
      { id: A, title: 'three', content: 'y', deleted_at: null },
      { id: B, title: 'b', content: '', deleted_at: '2026-01-01T00:00:00.000Z' },
    ];
    expect(model().diff(rows)).toEqual([]);
  });

  it('reports a lost write, a stale field, a missing row and an unknown row', () => {
    const rows = [
      { id: A, title: 'two', content: 'x', deleted_at: null },
      { id: '0193a1c2-0000-7000-8000-0000000000ff', title: 'ghost', content: '', deleted_at: null },
    ];
    // singleWriter: the text field is compared too (with several writers it merges three-way
    // and the text simulation checks it instead).
    const diff = model().diff(rows, 'notes', { singleWriter: true });
    expect(diff).toHaveLength(4);
    expect(diff.join('\n')).toMatch(/\.title: expected "three"/);
    expect(diff.join('\n')).toMatch(/\.content: expected "y"/);
    expect(diff.join('\n')).toMatch(new RegExp(`${B}: missing`));
    expect(diff.join('\n')).toMatch(/present but never written/);
  });

  it('reports a lost restore (deleted_at must be null again)', () => {
    const m = model();
    m.record({ client: 'c3', table: 'notes', id: B, hlc: h(6), fields: { deleted_at: null } });
    const rows = [
      { id: A, title: 'three', content: 'y', deleted_at: null },
      { id: B, title: 'b', content: '', deleted_at: '2026-01-01T00:00:00.000Z' },
    ];
    expect(m.diff(rows)).toEqual([expect.stringMatching(/deleted_at: expected null/)]);
  });
});

describe('diffRows', () => {
  it('finds every difference between two clients', () => {
    const ref = [
      { id: A, title: 't', version: 2, synced: 1 },
      { id: B, title: 'u', version: 1, synced: 1 },
    ];
    const other = [
      { id: A, title: 't', version: 3, synced: 0 },
      { id: '0193a1c2-0000-7000-8000-0000000000ff', title: 'v', version: 1, synced: 1 },
    ];
    const diff = diffRows('server', ref, 'c1', other, ['synced']);
    expect(diff).toHaveLength(3);
    expect(diffRows('server', ref, 'c1', ref)).toEqual([]);
  });
});

describe('mulberry32', () => {
  it('replays the same stream from the same seed', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(mulberry32(124).next()).not.toEqual(xs[0]);
    expect(a.fork('x').next()).toEqual(mulberry32(123).fork('x').next());
  });
});

describe("checkDatabase (the crash test's consistency check)", () => {
  it('passes a healthy engine database and reports an orphan entry, a synced row with queued changes and stamps out of order', async () => {
    const dir = await tempDir();
    try {
      const path = `${dir.path}/x.db`;
      const ferry = await openFerry({
        ...ferrySchema,
        driver: await openNodeDriver(path),
        tokenStore: memoryTokenStore(),
      });
      const a = await ferry.tables.notes.create({ title: 'a' });
      await ferry.tables.notes.update(a.id, { title: 'a2' });
      await ferry.close();
      expect(checkDatabase(path)).toMatchObject({ pending: 2, problems: [] });

      const db = new Database(path);
      db.prepare('UPDATE notes SET synced = 1 WHERE id = ?').run(a.id);
      db.prepare(
        "INSERT INTO sync_queue (table_name, record_id, operation, fields, hlc, base_version, created_at) VALUES ('notes', ?, 'upsert', '{}', '000000000000001-00000-0000000000000000', NULL, '')",
      ).run(B);
      db.close();
      const { problems } = checkDatabase(path);
      expect(problems.join('\n')).toMatch(/without a row/);
      expect(problems.join('\n')).toMatch(/marked synced/);
      expect(problems.join('\n')).toMatch(/out of order/);
    } finally {
      await dir.remove();
    }
  });
});
