// @vitest-environment jsdom
/**
 * How many IPC round trips the engine makes over the Tauri driver (the shell's commands played
 * by `fake-shell.ts` over real SQLite): a first sync of a large account must cost a few calls per
 * pulled page, not one per row (issue 12: 100 207 `db_run` calls for 100 000 notes).
 */
import { memoryTokenStore, openFerry } from '@ferry/client';
import { FakeRemote } from '@ferry/client/testing';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { createTauriDriver } from '../src/tauri-driver.ts';
import { installFakeShell } from './support/fake-shell.ts';
import { ferrySchema } from '@ferry/protocol';

afterEach(() => clearMocks());

const id = (i: number): string => `0193a1c3-0000-7000-8000-${String(i).padStart(12, '0')}`;

/**
 * Signs in, pushes `local` new notes, then pulls `remote` notes from another device in pages of
 * `pageSize`, with one local edit queued during the pull; returns the database calls the second
 * sync made, by command.
 */
async function callsForSync(
  remoteRows: number,
  local: number,
  pageSize: number,
): Promise<Record<string, number>> {
  const shell = installFakeShell();
  const remote = new FakeRemote();
  const f = await openFerry({
    ...ferrySchema,
    driver: createTauriDriver(),
    tokenStore: memoryTokenStore(),
    http: remote.http,
    pullLimit: pageSize,
  });
  try {
    await f.login('http://127.0.0.1:9', 'me@example.com', 'password1');
    const mine = await f.tables.notes.create({ title: 'mine' });
    for (let i = 1; i < local; i++) await f.tables.notes.create({ title: `local ${i}` });
    const t = new Date().toISOString();
    for (let i = 0; i < remoteRows; i++)
      remote.put('notes', {
        id: id(i),
        title: `theirs ${i}`,
        content: 'x'.repeat(200),
        created_at: t,
        updated_at: t,
        deleted_at: null,
      });
    remote.during = async () => {
      await f.tables.notes.update(mine.id, { title: 'edited during the pull' });
    };
    shell.calls.length = 0;
    await f.sync();
    const counts: Record<string, number> = {};
    for (const c of shell.calls) counts[c.cmd] = (counts[c.cmd] ?? 0) + 1;
    expect(await f.tables.notes.list({ limit: 1 })).toHaveLength(1);
    expect((await f.tables.notes.get(mine.id))?.title).toBe('edited during the pull');
    expect((await f.tables.notes.get(id(remoteRows - 1)))?.title).toBe(`theirs ${remoteRows - 1}`);
    return counts;
  } finally {
    await f.close();
  }
}

const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

describe('IPC round trips of a sync over the Tauri driver', () => {
  it('a pulled page costs a bounded number of calls, whatever its size', async () => {
    const small = await callsForSync(20, 1, 1000);
    const large = await callsForSync(600, 1, 1000);
    expect(total(large)).toBe(total(small));
    // The run's start, the round's read and apply, the edit made during it, the closing status
    // read: a few dozen calls in all (each transaction is db_begin … db_commit).
    expect(total(large)).toBeLessThan(60);
  });

  it('acknowledging a large push costs a bounded number of calls', async () => {
    const small = await callsForSync(1, 5, 1000);
    const large = await callsForSync(1, 400, 1000);
    expect(total(large)).toBe(total(small));
  });

  it('calls grow with pages, not rows', async () => {
    // six pages either way: 10 rows each, or 100 rows each
    const tenRowPages = await callsForSync(60, 1, 10);
    const hundredRowPages = await callsForSync(600, 1, 100);
    expect(total(hundredRowPages)).toBe(total(tenRowPages));
    // What each page past the first adds (its request's read, its apply, the search index's
    // pending rows, the edit pushed between pages): about 18 calls, never one per row.
    const onePage = await callsForSync(100, 1, 100);
    expect((total(hundredRowPages) - total(onePage)) / 5).toBeLessThanOrEqual(20);
  });
});
