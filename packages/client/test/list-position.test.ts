import { describe, expect, it } from 'vitest';
import type { Note } from '@ferry/protocol';
import { openTestFerry } from './helpers.ts';

const at = (n: Note) => ({ updated: n.updated_at, id: n.id });

describe('list from a position, and count ahead of it', () => {
  it('starts at the position (inclusive), breaks updated_at ties by id, and counts what sorts above', async () => {
    let t = Date.UTC(2025, 0, 1);
    // Four notes per millisecond: ties on updated_at are ordered by id.
    const f = await openTestFerry({ now: () => t });
    const made = [];
    for (let i = 0; i < 8; i++) {
      if (i === 4) t += 1;
      made.push(await f.tables.notes.create({ title: i % 2 ? `odd ${i}` : `even ${i}` }));
    }
    const all = await f.tables.notes.list();
    expect(all).toHaveLength(8);
    expect(new Set(all.map((n) => n.updated_at)).size).toBe(2); // ties
    for (const [k, anchor] of all.entries()) {
      const from = await f.tables.notes.list({ from: at(anchor) });
      expect(from.map((n) => n.id)).toEqual(all.slice(k).map((n) => n.id));
      expect(await f.tables.notes.count({ before: at(anchor) })).toBe(k);
    }
    expect(await f.tables.notes.count()).toBe(8);
    // With the list's filters: search and trash.
    const anchor = all[4]!;
    const odd = all.filter((n) => n.title.startsWith('odd'));
    expect(
      (await f.tables.notes.list({ search: 'ODD', from: at(anchor) })).map((n) => n.id),
    ).toEqual(odd.filter((n) => all.indexOf(n) >= 4).map((n) => n.id));
    expect(await f.tables.notes.count({ search: 'odd', before: at(anchor) })).toBe(
      odd.filter((n) => all.indexOf(n) < 4).length,
    );
    await f.tables.notes.remove(made[0]!.id);
    expect(await f.tables.notes.count()).toBe(7);
    expect(await f.tables.notes.count({ deleted: 'only' })).toBe(1);
    expect(await f.tables.notes.count({ deleted: true })).toBe(8);
    await f.close();
  });
});
