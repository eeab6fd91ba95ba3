/**
 * A remote change re-reads the open note; the user may type, and the save may finish, while that
 * read is on its way (on the desktop it goes to another connection, and during a long sync it
 * waits). The answer describes the note before the save: it must not replace what was typed.
 */
import { expect, it } from 'vitest';
import type { NotesFerry } from '../src/notes-engine.ts';
import { createEditor } from '../src/state/editor.ts';
import { twoDevices, useTestServer } from './support/server.ts';
import { rethrow } from './support/rethrow.ts';

const server = useTestServer();

/** The engine, with the editor's reads held back until `release()`, having read at call time. */
function heldReads(ferry: NotesFerry): {
  engine: Pick<NotesFerry, 'tables' | 'subscribe'>;
  hold(): void;
  release(): void;
  reads(): number;
} {
  let held: (() => void)[] | null = null;
  let count = 0;
  const notes = ferry.tables.notes;
  const getForEdit: typeof notes.getForEdit = async (id) => {
    const read = await notes.getForEdit(id);
    count++;
    if (held) await new Promise<void>((resolve) => held!.push(resolve));
    return read;
  };
  const proxy = new Proxy(notes, {
    get: (target, key, receiver): unknown =>
      key === 'getForEdit' ? getForEdit : (Reflect.get(target, key, receiver) as unknown),
  });
  return {
    engine: { tables: { ...ferry.tables, notes: proxy }, subscribe: (fn) => ferry.subscribe(fn) },
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const go of waiting) go();
    },
    reads: () => count,
  };
}

it('keeps what was typed and saved while a re-read for a remote change was on its way', async () => {
  const { a, b } = await twoDevices(server.url());
  const n = await a.tables.notes.create({ title: 'Trip plan', content: 'Lisbon\nPorto\n' });
  await a.sync();
  await b.sync();
  const reads = heldReads(a);
  const editor = createEditor(reads.engine, rethrow, { saveDelayMs: 60_000 }); // flush() saves
  await editor.open(n.id);

  reads.hold();
  const before = reads.reads();
  await b.tables.notes.update(n.id, { content: 'Lisbon\nPorto, then Braga\n' });
  await b.sync();
  await a.sync(); // a remote change to the open note: the editor reads it again
  for (let i = 0; i < 100 && reads.reads() === before; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(reads.reads()).toBe(before + 1); // the read happened, its answer is held

  editor.edit({ content: 'Lisbon, visit Belem\nPorto\n' });
  await editor.flush(); // saved: nothing is waiting any more
  reads.release();
  await new Promise((r) => setTimeout(r, 50));
  expect(editor.draft().content).toBe('Lisbon, visit Belem\nPorto\n');

  // And the words reach both devices, merged with b's.
  await a.sync();
  await b.sync();
  await a.sync();
  const want = 'Lisbon, visit Belem\nPorto, then Braga\n';
  expect((await b.tables.notes.get(n.id))?.content).toBe(want);
  expect((await a.tables.notes.get(n.id))?.content).toBe(want);
  editor.dispose();
  await a.close();
  await b.close();
});
