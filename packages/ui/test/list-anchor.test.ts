/**
 * The notes list keeps still while a sync delivers notes: the anchor rule alone, then the list
 * state over a real engine (real SQLite) pulling from an in-memory server in small pages.
 */
import { memoryTokenStore, openFerry, type Ferry, type FerryEvent } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { FakeRemote } from '@ferry/client/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ListAnchor } from '../src/state/list-anchor.ts';
import {
  createNotesList,
  PAGE_SIZE,
  REMOTE_REFRESH_MS,
  type NotesList,
} from '../src/state/notes.ts';
import { ferrySchema, type ferryTables, type Note } from '@ferry/protocol';
import { rethrow } from './support/rethrow.ts';

const row = (i: number) => ({
  id: `0193a1c3-0000-7000-8000-${String(i).padStart(12, '0')}`,
  updated_at: `2025-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
});

describe('ListAnchor', () => {
  it('follows the top until rows are shown, then queries from its first row and counts above it', () => {
    const a = new ListAnchor();
    expect(a.query({ limit: 51 })).toEqual({ list: { limit: 51 }, above: null });
    expect(a.settle([], 0)).toBe(false);
    expect(a.position).toBeNull(); // nothing shown yet: nothing to keep still
    a.settle([row(9), row(8)], 0);
    expect(a.query({ search: 'x', deleted: false, limit: 51 })).toEqual({
      list: {
        search: 'x',
        deleted: false,
        limit: 51,
        from: { id: row(9).id, updated: row(9).updated_at },
      },
      above: {
        search: 'x',
        deleted: false,
        before: { id: row(9).id, updated: row(9).updated_at },
      },
    });
    a.settle([row(20)], 3); // a later answer does not move it
    expect(a.position?.id).toBe(row(9).id);
    a.release();
    expect(a.query({ limit: 51 }).above).toBeNull();
  });

  it('lets go when nothing is left at or below it but notes sort above it', () => {
    const a = new ListAnchor();
    a.settle([row(1)], 0);
    expect(a.settle([], 0)).toBe(false); // the list is simply empty
    expect(a.position).not.toBeNull();
    expect(a.settle([], 2)).toBe(true);
    expect(a.position).toBeNull();
  });
});

let ferry: Ferry<typeof ferryTables> | null = null;
afterEach(async () => {
  await ferry?.close();
  ferry = null;
});

const id = (i: number): string => `0193a1c3-0000-7000-8000-${String(i).padStart(12, '0')}`;
/** Note i was last edited i seconds after a fixed time, so higher numbers sort above. */
const put = (remote: FakeRemote, from: number, to: number): void => {
  for (let i = from; i < to; i++) {
    const t = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
    remote.put('notes', {
      id: id(i),
      title: `n${i}`,
      content: '',
      created_at: t,
      updated_at: t,
      deleted_at: null,
    });
  }
};

/** Run before the fake server answers each request, when set. */
let seeTop: (() => Promise<void>) | null = null;

async function engine(remote: FakeRemote, pullLimit: number): Promise<Ferry<typeof ferryTables>> {
  seeTop = null;
  ferry = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(),
    http: async (req) => {
      await seeTop?.();
      return remote.http(req);
    },
    pullLimit,
  });
  await ferry.login('http://127.0.0.1:9', 'me@example.com', 'password1');
  return ferry;
}

const settle = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
/** Waits until the list has answered every query asked so far (one refresh round). */
const quiet = async (list: NotesList): Promise<void> => {
  list.refresh();
  await new Promise((r) => setTimeout(r, 30));
};

const titles = (list: NotesList): string[] => list.notes().map((n) => n.title);

describe('the notes list during a first sync', () => {
  it('keeps the rows it shows while newer pages arrive, and announces the new notes', async () => {
    const remote = new FakeRemote();
    put(remote, 0, 200); // pulled oldest first, 20 a page: every page sorts above the last
    const f = await engine(remote, 20);
    const list = createNotesList(f, rethrow);
    await settle(() => !list.loading());
    // The top row whenever a page is asked for, as the user saw it.
    const tops = new Set<string>();
    seeTop = async () => {
      await quiet(list);
      tops.add(titles(list)[0] ?? '');
    };
    await f.sync();
    await quiet(list);
    tops.add(titles(list)[0] ?? '');
    expect([...tops].filter((t) => t !== '')).toEqual(['n19']);
    expect(titles(list)).toEqual(Array.from({ length: 20 }, (_, k) => `n${19 - k}`));
    expect(list.newAbove()).toBe(180);

    list.showNew();
    await settle(() => titles(list)[0] === 'n199');
    expect(list.notes()).toHaveLength(PAGE_SIZE);
    expect(list.newAbove()).toBe(0);
    list.dispose();
  });

  it("shows the user's own new note at once, with whatever waited above", async () => {
    const remote = new FakeRemote();
    put(remote, 0, 10);
    const f = await engine(remote, 1000);
    const list = createNotesList(f, rethrow);
    await f.sync();
    await settle(() => titles(list)[0] === 'n9');
    put(remote, 10, 15);
    await f.sync();
    await settle(() => list.newAbove() === 5);
    expect(titles(list)[0]).toBe('n9');
    // Searching starts from the top too.
    list.setSearch('n1');
    await settle(() => titles(list)[0] === 'n14' && list.newAbove() === 0);
    list.setSearch('');
    await settle(() => titles(list)[0] === 'n14');
    put(remote, 15, 17);
    await f.sync();
    await settle(() => list.newAbove() === 2);
    await f.tables.notes.create({ title: 'mine' });
    await settle(() => titles(list)[0] === 'mine');
    expect(titles(list).slice(0, 3)).toEqual(['mine', 'n16', 'n15']);
    expect(list.newAbove()).toBe(0);
    list.dispose();
  });

  it('lets go of its rows when they are all gone and newer notes remain', async () => {
    const remote = new FakeRemote();
    put(remote, 0, 3);
    const f = await engine(remote, 1000);
    const list = createNotesList(f, rethrow);
    await f.sync();
    await settle(() => titles(list)[0] === 'n2');
    put(remote, 3, 5);
    const deletedAt = new Date(Date.UTC(2025, 0, 2)).toISOString();
    for (let i = 0; i < 3; i++)
      remote.put('notes', { id: id(i), deleted_at: deletedAt, updated_at: deletedAt });
    await f.sync();
    await settle(() => titles(list).join() === 'n4,n3');
    expect(list.newAbove()).toBe(0);
    list.dispose();
  });
});

describe('the notes list under a stream of changes', () => {
  it('shows a search result even when changes arrive faster than a query answers', async () => {
    // A list query takes 40 ms (a search over a large table); a sync page lands every 10 ms.
    const listeners = new Set<(e: FerryEvent) => void>();
    const note = (title: string): Note =>
      ({ id: title, title, updated_at: '2025-01-01T00:00:00.000Z' }) as Note;
    const fake = {
      tables: {
        notes: {
          list: async (o?: { search?: string }) => {
            await new Promise((r) => setTimeout(r, 40));
            return [note(o?.search ? `match for ${o.search}` : 'top')];
          },
          count: () => Promise.resolve(0),
        },
      },
      subscribe: (l: (e: FerryEvent) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const list = createNotesList(fake, rethrow);
    const pages = setInterval(() => {
      for (const l of listeners)
        l({ type: 'changed', table: 'notes', ids: ['x'], origin: 'remote' });
    }, 10);
    try {
      await settle(() => !list.loading());
      list.setSearch('needle');
      // Bounded: 200 × 5 ms, while the changes keep coming.
      await settle(() => titles(list)[0] === 'match for needle');
    } finally {
      clearInterval(pages);
      list.dispose();
    }
  });

  it("re-runs its query for a sync's changes at most every REMOTE_REFRESH_MS", async () => {
    // A search over a large table scans every note; a sync lands a page every 5 ms here.
    const listeners = new Set<(e: FerryEvent) => void>();
    let queries = 0;
    const fake = {
      tables: {
        notes: {
          list: () => {
            queries++;
            return Promise.resolve([]);
          },
          count: () => Promise.resolve(0),
        },
      },
      subscribe: (l: (e: FerryEvent) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const list = createNotesList(fake, rethrow);
    await settle(() => !list.loading());
    list.setSearch('needle');
    await settle(() => queries === 2);
    let events = 0;
    const pages = setInterval(() => {
      events++;
      for (const l of listeners)
        l({ type: 'changed', table: 'notes', ids: ['x'], origin: 'remote' });
    }, 5);
    await new Promise((r) => setTimeout(r, REMOTE_REFRESH_MS * 2));
    clearInterval(pages);
    const during = queries - 2;
    // Every elapsed REMOTE_REFRESH_MS allows one, plus the one at the start and the last.
    expect(during, `${during} queries for ${events} changes`).toBeLessThanOrEqual(4);
    expect(during).toBeGreaterThan(0);
    list.dispose();
  });
});
