/**
 * The list and editor state over a real engine on real SQLite (better-sqlite3): pagination for
 * large accounts, live refresh on change events, search, and the editor's rule for remote edits.
 */
import { memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { afterEach, describe, expect, it } from 'vitest';
import { createEditor } from '../src/state/editor.ts';
import { createNotesList, PAGE_SIZE, View } from '../src/state/notes.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';
import { rethrow } from './support/rethrow.ts';

let ferry: Ferry<typeof ferryTables> | null = null;
afterEach(async () => {
  await ferry?.close();
  ferry = null;
});

async function engine(): Promise<Ferry<typeof ferryTables>> {
  ferry = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(),
  });
  return ferry;
}

const settle = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

/** Waits until the list shows exactly the notes titled `titles` (comma-separated), in order. */
const showsTitles = (list: ReturnType<typeof createNotesList>, titles: string): Promise<void> =>
  settle(
    () =>
      list
        .notes()
        .map((n) => n.title)
        .join() === titles,
  );

describe('the notes list', () => {
  it('shows a first page of a large account, then more on demand', async () => {
    const f = await engine();
    for (let i = 0; i < PAGE_SIZE * 2 + 5; i++)
      await f.tables.notes.create({ title: `note ${String(i).padStart(3, '0')}`, content: '' });
    const list = createNotesList(f, rethrow);
    expect(list.loading()).toBe(true);
    await settle(() => !list.loading());
    expect(list.notes()).toHaveLength(PAGE_SIZE);
    expect(list.hasMore()).toBe(true);
    const times = list.notes().map((n) => n.updated_at);
    expect([...times].sort().reverse()).toEqual(times); // newest first
    list.loadMore();
    await settle(() => list.notes().length === PAGE_SIZE * 2);
    list.loadMore();
    await settle(() => list.notes().length === PAGE_SIZE * 2 + 5);
    expect(list.hasMore()).toBe(false);
    list.dispose();
  });

  it('keeps the objects of rows a refresh found unchanged (the list re-renders only what changed)', async () => {
    const f = await engine();
    const a = await f.tables.notes.create({ title: 'a', content: '' });
    const b = await f.tables.notes.create({ title: 'b', content: '' });
    const list = createNotesList(f, rethrow);
    await settle(() => list.notes().length === 2);
    const before = list.notes();
    await f.tables.notes.update(a.id, { title: 'a2' });
    await f.tables.notes.create({ title: 'c', content: '' });
    await settle(() => list.notes().length === 3);
    const after = new Map(list.notes().map((n) => [n.id, n]));
    expect(after.get(b.id)).toBe(before.find((n) => n.id === b.id)); // unchanged: the same object
    expect(after.get(a.id)?.title).toBe('a2'); // changed: the new row
    list.dispose();
  });

  it('follows writes, searches, and shows the trash', async () => {
    const f = await engine();
    const list = createNotesList(f, rethrow);
    await settle(() => !list.loading());
    const a = await f.tables.notes.create({ title: 'Groceries', content: 'milk' });
    await f.tables.notes.create({ title: 'Lisbon', content: 'tram' });
    await settle(() => list.notes().length === 2);
    list.setSearch('MILK');
    await showsTitles(list, 'Groceries');
    list.setSearch('');
    await f.tables.notes.remove(a.id);
    await showsTitles(list, 'Lisbon');
    list.setView(View.trash);
    await showsTitles(list, 'Groceries');
    list.dispose();
  });
  it('answers a new search without waiting for the query of the filters it replaced', async () => {
    const f = await engine();
    await f.tables.notes.create({ title: 'Groceries', content: 'milk' });
    await f.tables.notes.create({ title: 'Lisbon', content: 'tram' });
    // A slow query (a search scanning a large account while a sync takes the CPU): every query
    // without a search term waits until released.
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    let started = (): void => undefined;
    const begun = new Promise<void>((r) => (started = r));
    const notes = f.tables.notes;
    const slow: Parameters<typeof createNotesList>[0] = {
      subscribe: (fn) => f.subscribe(fn),
      tables: {
        notes: {
          // The store's list is overloaded (with and without `fields`), so the parameter is
          // typed here: the filters, which is all the notes list passes.
          list: async (q?: Parameters<typeof notes.count>[0]) => {
            if (q?.search === undefined) {
              started();
              await held;
            }
            return notes.list(q);
          },
          count: (q) => notes.count(q),
        },
      },
    };
    const list = createNotesList(slow, rethrow);
    await begun;
    list.setSearch('tram');
    await showsTitles(list, 'Lisbon');
    release();
    // The old filters' answer, arriving last, is not shown.
    await new Promise((r) => setTimeout(r, 20));
    expect(list.notes().map((n) => n.title)).toEqual(['Lisbon']);
    list.dispose();
  });
});

describe('the editor', () => {
  it('saves typing locally after the debounce and flushes when switching notes', async () => {
    const f = await engine();
    const a = await f.tables.notes.create({ title: 'A', content: '' });
    const b = await f.tables.notes.create({ title: 'B', content: '' });
    const editor = createEditor(f, rethrow);
    await editor.open(a.id);
    editor.edit({ content: 'typed' });
    await editor.open(b.id); // switching flushes the draft of A
    expect((await f.tables.notes.get(a.id))?.content).toBe('typed');
    expect(editor.draft().title).toBe('B');
    editor.dispose();
  });
});
