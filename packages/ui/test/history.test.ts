/**
 * The history view's state against the real server: revisions listed newest first with time and
 * device, a revision's diff against the note as the editor has it, "restore this version" as a
 * new edit that reaches the other device, and what it says without a server.
 */
import {
  FerryError,
  ErrorKind,
  deviceLabel,
  memoryTokenStore,
  openFerry,
  shortDevice,
} from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { describe, expect, it } from 'vitest';
import { SegmentKind } from '../src/state/diff.ts';
import {
  createHistory,
  historyProblem,
  revisionTime,
  type CurrentNote,
} from '../src/state/history.ts';
import { device, email, twoDevices, useTestServer } from './support/server.ts';
import { ferrySchema } from '@ferry/protocol';

const server = useTestServer();

describe('labels', () => {
  it('names devices: this one, another by its login name and the random end of its id, the server', () => {
    const me = '019abcde-0000-7000-8000-00000000aaaa';
    const other = '019abcde-0000-7000-8000-0000003f9a2c';
    expect(deviceLabel(me, me)).toBe('this device');
    expect(deviceLabel(me, me, { name: 'my laptop' })).toBe('this device');
    expect(deviceLabel(other, me)).toBe('device 3f9a2c');
    expect(deviceLabel(other, me, { name: "Ana's phone" })).toBe("Ana's phone (3f9a2c)");
    expect(deviceLabel(other, me, { name: ' ' })).toBe('device 3f9a2c');
    expect(shortDevice(other)).toBe('device 3f9a2c');
    expect(deviceLabel(null, me, { madeByServer: true })).toBe('the server');
    expect(deviceLabel(null, me)).toBe('an unknown device');
  });

  it('says when: the time today, the day this year, the year before', () => {
    const now = new Date(2026, 10, 26, 15, 0);
    expect(revisionTime(new Date(2026, 10, 26, 9, 5).toISOString(), now)).toBe('09:05');
    expect(revisionTime(new Date(2026, 10, 12, 14, 3).toISOString(), now)).toBe('12 Nov 14:03');
    expect(revisionTime(new Date(2025, 10, 12, 14, 3).toISOString(), now)).toBe(
      '12 Nov 2025 14:03',
    );
  });

  it('explains a history that cannot be read', () => {
    expect(historyProblem(new FerryError(ErrorKind.network, 'ECONNREFUSED'))).toMatch(
      /cannot be reached/,
    );
    expect(historyProblem(new FerryError(ErrorKind.unauthorized, 'no token'))).toMatch(/sign in/);
    expect(historyProblem(new FerryError(ErrorKind.notFound, '404'))).toMatch(/not synced/);
  });
});

describe('the history of a note (real server)', () => {
  it('lists revisions, diffs one against the note, restores it, and the other device gets it', async () => {
    const { a, b } = await twoDevices(server.url());
    try {
      const n = await a.tables.notes.create({ title: 'Trip', content: 'Day 1: Lisbon\n' });
      await a.sync();
      await b.sync();
      await b.tables.notes.update(n.id, { content: 'Day 1: Lisbon\nDay 2: Porto\n' });
      await b.sync();
      await a.sync();
      await a.tables.notes.update(n.id, {
        title: 'Trip plan',
        content: 'Day 1: Lisbon\nDay 2: Braga\n',
      });
      await a.sync();
      const note = async (): Promise<CurrentNote> => (await a.tables.notes.get(n.id))!;
      let current = await note();

      {
        const h = createHistory(a, n.id, () => current);
        await h.load();
        expect(h.problem()).toBeNull();
        const entries = h.entries();
        expect(entries.map((e) => e.version)).toEqual([3, 2, 1]);
        expect(entries.map((e) => e.by)).toEqual([
          'this device',
          `test device (${shortDevice(b.clientId).slice(-6)})`, // b's login named it
          'this device',
        ]);
        expect(entries.map((e) => e.current)).toEqual([true, false, false]);
        expect(h.hasMore()).toBe(false);

        await h.choose(1);
        expect(h.problem()).toBeNull();
        const d = h.chosen()!;
        expect(d.version).toBe(1);
        expect(d.same).toBe(false);
        expect(d.title).toBe('Trip');
        // Restoring version 1 takes "Day 2: Braga" away.
        expect(
          d.content
            .filter((s) => s.kind === SegmentKind.removed)
            .map((s) => s.text)
            .join(''),
        ).toContain('Braga');
        expect(d.content.some((s) => s.kind === SegmentKind.added)).toBe(false);

        await h.restore();
        current = await note();
        expect(current.content).toBe('Day 1: Lisbon\n');
        expect(current.title).toBe('Trip');
        expect(current.synced).toBe(0);
        // The diff follows the note: nothing is left to restore.
        expect(h.chosen()!.same).toBe(true);
      }

      await a.sync();
      await b.sync();
      expect((await b.tables.notes.get(n.id))!.content).toBe('Day 1: Lisbon\n');
      const after = await b.history(n.id);
      expect(after.revisions[0]!.version).toBe(4);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('pages through a long history', async () => {
    const a = await device(server.url(), email(), true);
    try {
      const n = await a.tables.notes.create({ title: 'Log', content: '' });
      for (let i = 1; i <= 55; i++) {
        await a.tables.notes.update(n.id, { content: `entry ${i}\n` });
        await a.sync();
      }
      const current = (await a.tables.notes.get(n.id))!;
      {
        const h = createHistory(a, n.id, () => current);
        await h.load();
        expect(h.entries()).toHaveLength(50);
        expect(h.hasMore()).toBe(true);
        await h.loadMore();
        expect(h.entries().map((e) => e.version)).toEqual(
          Array.from({ length: 56 }, (_, i) => 56 - i),
        );
        expect(h.hasMore()).toBe(false);
      }
    } finally {
      await a.close();
    }
  });

  it('asks to sign in when there is no server to read it from', async () => {
    const f = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(':memory:'),
      tokenStore: memoryTokenStore(),
    });
    try {
      const n = await f.tables.notes.create({ title: 'Local', content: 'x' });
      {
        const h = createHistory(f, n.id, () => ({ ...n }));
        await h.load();
        expect(h.problem()).toMatch(/sign in/);
        expect(h.entries()).toEqual([]);
        expect(h.loading()).toBe(false);
      }
    } finally {
      await f.close();
    }
  });
});
