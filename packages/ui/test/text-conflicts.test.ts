/**
 * The text-conflict state the app's marker and conflict view read, against the real server:
 * two engines edit the same line of a note, the server's merge records the overlap, and the
 * state shows it, labels the devices, and resolves it so that the other device sees the result.
 */
import { shortDevice, type Ferry, type TextConflict, type TextResolution } from '@ferry/client';
import { describe, expect, it } from 'vitest';
import { SegmentKind } from '../src/state/diff.ts';
import {
  conflictView,
  createTextConflicts,
  editStart,
  groupByNote,
  hunkContext,
} from '../src/state/text-conflicts.ts';
import { twoDevices, useTestServer } from './support/server.ts';
import { type ferryTables } from '@ferry/protocol';
import { rethrow } from './support/rethrow.ts';

const server = useTestServer();

const settle = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
const BASE = 'Trip plan\nDay 1: Lisbon\nDay 2: Porto\n';

/** Two devices of one user; `a` and `b` edit line 2 of a new note at once; `a` syncs last. */
async function overlap(
  a: Ferry<typeof ferryTables>,
  b: Ferry<typeof ferryTables>,
): Promise<string> {
  const n = await a.tables.notes.create({ title: 'Trip', content: BASE });
  await a.sync();
  await b.sync();
  await a.tables.notes.update(n.id, { content: BASE.replace('Lisbon', 'Lisbon, visit Belem') });
  await b.tables.notes.update(n.id, { content: BASE.replace('Lisbon', 'Lisbon, then Sintra') });
  await b.sync();
  await a.sync();
  return n.id;
}

describe('groupByNote', () => {
  it("groups a table's conflicts by record, oldest first, and ignores other tables", () => {
    const c = (id: string, recordId: string, table = 'notes'): TextConflict => ({
      id,
      table,
      recordId,
      field: 'content',
      text: '',
      hunks: [],
      keptClientId: null,
      otherClientId: null,
      keptDeviceName: null,
      otherDeviceName: null,
      recordVersion: 1,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const g = groupByNote([c('1', 'n1'), c('2', 'n2'), c('3', 'n1'), c('4', 'n1', 'tags')]);
    expect([...g.keys()]).toEqual(['n1', 'n2']);
    expect(g.get('n1')!.map((x) => x.id)).toEqual(['1', '3']);
  });
});

describe('hunkContext', () => {
  const text = 'Trip plan\nDay 2: Sintra, Cabo da Roca today\nDay 3: Porto';
  const at = text.indexOf(', Cabo');
  it('shows a hunk of words with the rest of its line', () => {
    const h = { at, base: '', kept: ', Cabo da Roca', other: ' palace' };
    expect(hunkContext(text, h)).toEqual({ before: 'Day 2: Sintra', after: ' today' });
  });
  it('shows a hunk of whole lines alone', () => {
    const line = 'Day 2: Sintra, Cabo da Roca today\n';
    const h = { at: text.indexOf('Day 2'), base: '', kept: line, other: 'Day 2: Evora\n' };
    expect(hunkContext(text, h)).toEqual({ before: '', after: '' });
  });
  it('stops at the ends of the text', () => {
    expect(hunkContext('Porto', { at: 0, base: '', kept: 'Porto', other: 'Braga' })).toEqual({
      before: '',
      after: '',
    });
    expect(hunkContext('a\nb c', { at: 4, base: '', kept: 'c', other: 'd' })).toEqual({
      before: 'b ',
      after: '',
    });
  });
});

describe('the text conflicts of the app (real server)', () => {
  it('marks the note, shows both versions with their devices, and "keep both" syncs to the other device', async () => {
    const { a, b } = await twoDevices(server.url());
    try {
      const state = createTextConflicts(a, rethrow);
      const id = await overlap(a, b);
      await settle(() => state.of(id).length === 1);
      expect([...state.byNote().keys()]).toEqual([id]);
      const [c] = state.of(id);
      const v = conflictView(c!, a.clientId);
      const named = `test device (${shortDevice(b.clientId).slice(-6)})`; // b's login named it
      expect([v.keptBy, v.otherBy].sort()).toEqual([named, 'this device'].sort());
      expect(v.hunks).toHaveLength(1);
      const show = (segs: { kind: string; text: string }[]) => segs.map((s) => s.text).join('');
      const sides = [show(v.hunks[0]!.kept), show(v.hunks[0]!.other)].join('|');
      // Each side is the whole line, in its version.
      expect(sides.split('|').sort()).toEqual(
        ['Day 1: Lisbon, visit Belem', 'Day 1: Lisbon, then Sintra'].sort(),
      );
      // Each side marks what only it has; neither marks the shared text.
      expect(v.hunks[0]!.kept.some((s) => s.kind === SegmentKind.removed)).toBe(true);
      expect(v.hunks[0]!.other.some((s) => s.kind === SegmentKind.added)).toBe(true);
      expect(v.hunks[0]!.kept.every((s) => s.kind !== SegmentKind.added)).toBe(true);

      const current = (await a.tables.notes.get(id))!.content;
      const start = editStart(c!, current);
      expect(start).toContain('visit Belem');
      expect(start).toContain('then Sintra');

      await state.resolve(c!.id, { keep: 'both' });
      await settle(() => state.of(id).length === 0);
      const after = (await a.tables.notes.get(id))!.content;
      expect(after).toBe(start);
      await a.sync();
      await b.sync();
      expect(await b.textConflicts()).toEqual([]);
      expect((await b.tables.notes.get(id))!.content).toBe(after);
      state.dispose();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('"keep this", "keep the other" and new content each end the conflict with that text, on both devices', async () => {
    const { a, b } = await twoDevices(server.url());
    try {
      const state = createTextConflicts(a, rethrow);
      const cases: [TextResolution, (kept: string, other: string) => string][] = [
        [{ keep: 'this' }, (kept) => kept],
        [{ keep: 'other' }, (_, other) => other],
        [{ content: 'Trip plan\nDay 1: Lisbon only\n' }, () => 'Trip plan\nDay 1: Lisbon only\n'],
      ];
      for (const [how, expected] of cases) {
        const id = await overlap(a, b);
        await settle(() => state.of(id).length === 1);
        const c = state.of(id)[0]!;
        const kept = (await a.tables.notes.get(id))!.content;
        const h = c.hunks[0]!;
        const other = kept.slice(0, h.at) + h.other + kept.slice(h.at + h.kept.length);
        await state.resolve(c.id, how);
        await settle(() => state.of(id).length === 0);
        expect((await a.tables.notes.get(id))!.content).toBe(expected(kept, other));
        await a.sync();
        await b.sync();
        expect((await b.tables.notes.get(id))!.content).toBe(expected(kept, other));
      }
      expect(await b.textConflicts()).toEqual([]);
      state.dispose();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a conflict resolved on the other device leaves this one too', async () => {
    const { a, b } = await twoDevices(server.url());
    try {
      const state = createTextConflicts(a, rethrow);
      const id = await overlap(a, b);
      await settle(() => state.of(id).length === 1);
      await b.sync();
      const [onB] = await b.textConflicts(id);
      await b.resolveTextConflict(onB!.id, { keep: 'other' });
      await b.sync();
      await a.sync();
      await settle(() => state.of(id).length === 0);
      expect(state.byNote().size).toBe(0);
      state.dispose();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
