import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ferry } from '../src/index.ts';
import { fetchHttp } from '../src/index.ts';
import { hookedHttp } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { type ferryTables } from '@ferry/protocol';

// Text merge through the engine against the real server: the bases the engine sends (baseSeq,
// text versions) and what it does with merged rows and text conflicts.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const paragraphs = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `Paragraph ${i + 1} starts here.\nIt has a second line.\n`,
  ).join('\n');

async function content(f: Ferry<typeof ferryTables>, id: string): Promise<string> {
  return (await f.tables.notes.get(id))!.content;
}

/** Two devices of a new user, both holding the note `a` made with `fields`. */
async function sharedNote(fields: { title: string; content: string }) {
  const user = email();
  const a = await device(server, user, { signup: true });
  const b = await device(server, user);
  const n = await a.tables.notes.create(fields);
  await a.sync();
  await b.sync();
  return { a, b, n };
}

const TRIP = { title: 'Trip', content: 'Day 1: Lisbon\nDay 2: Sintra\n' };

/** Overlapping offline edits of TRIP's second line: a's first, b's (the later one) after. */
async function rivalEdits(a: Ferry<typeof ferryTables>, b: typeof a, id: string): Promise<void> {
  await a.tables.notes.update(id, { content: 'Day 1: Lisbon\nDay 2: Cascais\n' });
  await new Promise((r) => setTimeout(r, 5));
  await b.tables.notes.update(id, { content: 'Day 1: Lisbon\nDay 2: Evora\n' });
}

describe('text merge through the engine', () => {
  it('one device makes 50 offline edits of one paragraph while another edits a different one: no conflict, both sets present', async () => {
    const { a, b, n } = await sharedNote({ title: 'Long', content: paragraphs(4) });
    // a, offline: 50 edits of paragraph 1, each on the one before (none acknowledged yet).
    let text = paragraphs(4);
    for (let i = 1; i <= 50; i++) {
      text = text.replace(/^Paragraph 1 starts here\.[^\n]*/, (l) => `${l} a${i}`);
      await a.tables.notes.update(n.id, { content: text });
    }
    // b edits paragraph 3 and syncs first.
    await b.tables.notes.update(n.id, {
      content: (await content(b, n.id)).replace(
        'Paragraph 3 starts here.',
        'Paragraph 3 starts here, says b.',
      ),
    });
    await b.sync();
    await a.sync();
    await b.sync();
    const merged = await content(a, n.id);
    expect(await content(b, n.id)).toBe(merged);
    for (let i = 1; i <= 50; i++) expect(merged).toContain(` a${i}`);
    expect(merged).toContain('Paragraph 3 starts here, says b.');
    expect(merged.match(/a1\b/g)).toHaveLength(1);
    expect(await a.textConflicts()).toEqual([]);
    expect(await b.textConflicts()).toEqual([]);
    expect((await a.tables.notes.get(n.id))!.synced).toBe(1);
    await a.close();
    await b.close();
  });

  it('an edit made while the sync carrying the previous one is in flight, and one made between pull pages, build on it', async () => {
    const user = email();
    const hooked = hookedHttp(fetchHttp);
    // pullLimit 1: the merged row comes pages after the acknowledgement of the edit that made it.
    const a = await device(server, user, { signup: true, http: hooked.http, pullLimit: 1 });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'T', content: 'one\ntwo\nthree\n' });
    await a.sync();
    await b.sync();
    for (let i = 0; i < 5; i++) await b.tables.notes.create({ title: `filler ${i}`, content: 'x' });
    await b.tables.notes.update(n.id, { content: 'one\ntwo\nthree, by b\n' });
    await b.sync();
    await a.tables.notes.update(n.id, { content: 'one, by a\ntwo\nthree\n' });
    // While the first request (which pushes that edit) is in flight, a edits again...
    hooked.once(async () => {
      await a.tables.notes.update(n.id, { content: 'one, by a again\ntwo\nthree\n' });
      // ...and again while the next one is (the first is acknowledged, its merged row not pulled yet).
      hooked.once(async () => {
        await a.tables.notes.update(n.id, { content: 'one, by a again and again\ntwo\nthree\n' });
      });
    });
    await a.sync();
    await a.sync();
    await b.sync();
    expect(await content(a, n.id)).toBe('one, by a again and again\ntwo\nthree, by b\n');
    expect(await content(b, n.id)).toBe('one, by a again and again\ntwo\nthree, by b\n');
    expect(await a.textConflicts()).toEqual([]);
    expect(await b.textConflicts()).toEqual([]);
    await a.close();
    await b.close();
  });

  it('a text edit keeps the version of the text it was made on when an earlier title edit is acknowledged', async () => {
    const user = email();
    const hooked = hookedHttp(fetchHttp);
    const a = await device(server, user, { signup: true, http: hooked.http });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'T', content: 'one\ntwo\n' });
    await a.sync();
    await b.sync();
    await b.tables.notes.update(n.id, { content: 'one\ntwo, by b\n' });
    await b.sync();
    // a renames the note (made on version 1) and, while that is in flight, edits the text of
    // version 1. The title's acknowledgement moves the queued entry's baseVersion on to a
    // version whose text has b's edit: the text edit must still merge against version 1.
    await a.tables.notes.update(n.id, { title: 'T, by a' });
    hooked.once(async () => {
      await a.tables.notes.update(n.id, { content: 'one, by a\ntwo\n' });
    });
    await a.sync();
    await a.sync();
    await b.sync();
    for (const f of [a, b]) {
      expect(await f.tables.notes.get(n.id)).toMatchObject({
        title: 'T, by a',
        content: 'one, by a\ntwo, by b\n',
      });
      expect(await f.textConflicts()).toEqual([]);
    }
    await a.close();
    await b.close();
  });

  it('an overlap is a conflict both devices list; resolving it on one device settles it on both', async () => {
    const { a, b, n } = await sharedNote(TRIP);
    await rivalEdits(a, b, n.id);
    await a.sync();
    await b.sync();
    await a.sync();
    // b's edit is the later one: the note keeps it; a's version is in the conflict.
    for (const f of [a, b]) {
      expect(await content(f, n.id)).toBe('Day 1: Lisbon\nDay 2: Evora\n');
      const list = await f.textConflicts();
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        recordId: n.id,
        field: 'content',
        keptClientId: b.clientId,
        otherClientId: a.clientId,
      });
      expect(list[0]!.hunks).toEqual([{ at: 21, base: 'Sintra', kept: 'Evora', other: 'Cascais' }]);
    }
    const [c] = await a.textConflicts();
    await a.resolveTextConflict(c!.id, { keep: 'both' });
    expect(await content(a, n.id)).toBe('Day 1: Lisbon\nDay 2: Evora Cascais\n');
    expect(await a.textConflicts()).toEqual([]);
    await a.sync();
    await b.sync();
    expect(await content(b, n.id)).toBe('Day 1: Lisbon\nDay 2: Evora Cascais\n');
    expect(await b.textConflicts()).toEqual([]);
    await expect(b.resolveTextConflict(c!.id, { keep: 'other' })).rejects.toMatchObject({
      kind: 'not_found',
    });
    await a.close();
    await b.close();
  });

  it("a device whose edit loses every overlap ends with the server's text, and the conflict", async () => {
    const { a, b, n } = await sharedNote(TRIP);
    await rivalEdits(a, b, n.id);
    // The later edit (b's) arrives first; a's then changes nothing in the note (superseded).
    await b.sync();
    await a.sync();
    expect(await a.tables.notes.get(n.id)).toMatchObject({
      content: 'Day 1: Lisbon\nDay 2: Evora\n',
      synced: 1,
    });
    expect((await a.textConflicts())[0]?.hunks).toEqual([
      { at: 21, base: 'Sintra', kept: 'Evora', other: 'Cascais' },
    ]);
    await a.close();
    await b.close();
  });

  it('an edit keeps the base its text was read at when a pull changes the note before it is written', async () => {
    const { a, b, n } = await sharedNote({
      title: 'Trip plan',
      content: 'Lisbon\nPorto\nBraga\n',
    });
    // a's editor reads the note (version 1) and the user starts typing on that text...
    const read = (await a.tables.notes.getForEdit(n.id))!;
    expect(read.base).toEqual({ baseSeq: null, textVersion: 1 });
    const typed = read.row.content.replace('Lisbon', 'Lisbon, visit Belem');
    // ...meanwhile b's edit (version 2) is pulled into a's row...
    await b.tables.notes.update(n.id, { content: 'Lisbon\nPorto\nBraga, then Guimaraes\n' });
    await b.sync();
    await a.sync();
    // ...and then the editor saves what the user typed on version 1.
    await a.tables.notes.update(n.id, { content: typed }, { base: read.base });
    await a.sync();
    await b.sync();
    for (const f of [a, b]) {
      expect(await content(f, n.id)).toBe('Lisbon, visit Belem\nPorto\nBraga, then Guimaraes\n');
      expect(await f.textConflicts()).toEqual([]);
    }
    await a.close();
    await b.close();
  });

  it("a draft's next save builds on its previous one even after that one came back merged", async () => {
    const { a, b, n } = await sharedNote({ title: 'T', content: 'one\ntwo\nthree\n' });
    await b.tables.notes.update(n.id, { content: 'one\ntwo\nthree, by b\n' });
    await b.sync();
    const read = (await a.tables.notes.getForEdit(n.id))!;
    const first = await a.tables.notes.updateForEdit(
      n.id,
      { content: 'one, by a\ntwo\nthree\n' },
      read.base,
    );
    expect(first.base.baseSeq).toBeGreaterThan(0);
    await a.sync(); // merged with b's edit; the merged text is pulled into a's row
    expect(await content(a, n.id)).toBe('one, by a\ntwo\nthree, by b\n');
    // The user kept typing on the draft, which never had b's words.
    await a.tables.notes.updateForEdit(
      n.id,
      { content: 'one, by a, twice\ntwo\nthree\n' },
      first.base,
    );
    await a.sync();
    await b.sync();
    for (const f of [a, b]) {
      expect(await content(f, n.id)).toBe('one, by a, twice\ntwo\nthree, by b\n');
      expect(await f.textConflicts()).toEqual([]);
    }
    await a.close();
    await b.close();
  });

  it('lists the history, fetches a revision and restores it as a new edit that syncs', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'H', content: 'first\n' });
    await a.sync();
    await a.tables.notes.update(n.id, { content: 'second\n' });
    await a.sync();
    await a.tables.notes.update(n.id, { content: 'third\n', title: 'H3' });
    await a.sync();
    const h = await a.history(n.id);
    expect(h.revisions.map((r) => r.version)).toEqual([3, 2, 1]);
    expect(h.revisions.every((r) => r.clientId === a.clientId)).toBe(true);
    expect((await a.revision(n.id, 1)).fields).toMatchObject({ title: 'H', content: 'first\n' });
    await b.sync();
    await b.restoreRevision(n.id, 1);
    expect(await b.tables.notes.get(n.id)).toMatchObject({
      title: 'H',
      content: 'first\n',
      synced: 0,
    });
    await b.sync();
    await a.sync();
    expect(await a.tables.notes.get(n.id)).toMatchObject({
      title: 'H',
      content: 'first\n',
      version: 4,
    });
    expect((await a.history(n.id)).revisions[0]).toMatchObject({
      version: 4,
      clientId: b.clientId,
    });
    await expect(a.history('01937000-0000-7000-8000-000000000000')).rejects.toMatchObject({
      kind: 'not_found',
    });
    await a.close();
    await b.close();
  });
});
