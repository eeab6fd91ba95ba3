/**
 * Notebooks in the shared UI's state (issue 9 item 2): a live list of notebooks, and the notes
 * list filtered to one of them, over a real engine on real SQLite.
 */
import { memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotebooks } from '../src/state/notebooks.ts';
import { createNotesList } from '../src/state/notes.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';
import { rethrow } from './support/rethrow.ts';

let ferry: Ferry<typeof ferryTables> | null = null;
afterEach(async () => {
  await ferry?.close();
  ferry = null;
});

const settle = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
describe('notebooks', () => {
  it('lists notebooks by name, live, and filters the notes list to one', async () => {
    const f = (ferry = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(':memory:'),
      tokenStore: memoryTokenStore(),
    }));
    const books = createNotebooks(f, rethrow);
    const list = createNotesList(f, rethrow);
    const work = await books.create('Work');
    await books.create('Archive');
    await settle(() => books.notebooks().length === 2);
    expect(books.notebooks().map((b) => b.name)).toEqual(['Archive', 'Work']);

    const filed = await f.tables.notes.create({ title: 'filed', content: '' });
    await f.tables.notes.create({ title: 'loose', content: '' });
    await f.tables.notes.update(filed.id, { notebook_id: work.id });
    list.setNotebook(work.id);
    await settle(() => list.notes().length === 1);
    expect(list.notes()[0]!.id).toBe(filed.id);
    list.setNotebook(null);
    await settle(() => list.notes().length === 2);

    await books.rename(work.id, 'Office');
    await settle(() => books.notebooks().some((b) => b.name === 'Office'));
    await books.remove(work.id);
    await settle(() => books.notebooks().length === 1);
    books.dispose();
    list.dispose();
  });
});
