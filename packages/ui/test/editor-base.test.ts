/**
 * The editor against the real server: what the user typed is sent with the base of the text the
 * editor loaded, so an edit of another device pulled while they type is merged, not undone.
 */
import { describe, expect, it } from 'vitest';
import { createEditor } from '../src/state/editor.ts';
import { twoDevices, useTestServer } from './support/server.ts';
import { rethrow } from './support/rethrow.ts';

const server = useTestServer();

describe('the editor and a pull while typing (real server)', () => {
  it("saves the user's words on the text it loaded: another device's edit pulled meanwhile stays", async () => {
    const { a, b } = await twoDevices(server.url());
    const n = await a.tables.notes.create({
      title: 'Trip plan',
      content: 'Lisbon\nPorto\nBraga\n',
    });
    await a.sync();
    await b.sync();
    const editor = createEditor(a, rethrow, { saveDelayMs: 60_000 }); // saved by flush() only
    await editor.open(n.id);
    editor.edit({ content: 'Lisbon, visit Belem\nPorto\nBraga\n' }); // waiting for the debounce
    await b.tables.notes.update(n.id, { content: 'Lisbon\nPorto\nBraga, then Guimaraes\n' });
    await b.sync();
    await a.sync(); // b's edit is in a's row now; the editor keeps the user's draft
    editor.edit({ content: 'Lisbon, visit Belem and Sintra\nPorto\nBraga\n' });
    await editor.flush();
    await a.sync();
    await b.sync();
    const want = 'Lisbon, visit Belem and Sintra\nPorto\nBraga, then Guimaraes\n';
    expect((await a.tables.notes.get(n.id))?.content).toBe(want);
    expect((await b.tables.notes.get(n.id))?.content).toBe(want);
    expect(await a.textConflicts()).toEqual([]);
    editor.dispose();
    await a.close();
    await b.close();
  });
});
