import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryEvent, SqlDriver } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { openTestFerry, tempDbPath } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

/** A driver that counts the transactions run through it. */
async function countingDriver(): Promise<SqlDriver & { transactions: number }> {
  const inner = await openNodeDriver(tempDbPath());
  const d = {
    transactions: 0,
    transaction<T>(fn: Parameters<SqlDriver['transaction']>[0]): Promise<T> {
      d.transactions++;
      return inner.transaction(fn) as Promise<T>;
    },
    close: () => inner.close(),
  };
  return d;
}

const N = 10_000;
const inputs = (n: number, prefix = 'note'): { title: string; content: string }[] =>
  Array.from({ length: n }, (_, i) => ({
    title: `${prefix} ${i}`,
    content: `content of ${prefix} ${i} — ünïcödé`,
  }));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('notes.createMany', () => {
  it('writes 10 000 notes, each with its outbox entry and its own HLC stamp, in ONE transaction with one changed event', async () => {
    const driver = await countingDriver();
    const f = await openTestFerry({ driver });
    const events: FerryEvent[] = [];
    f.subscribe((e) => events.push(e));
    const before = driver.transactions;

    const notes = await f.tables.notes.createMany(inputs(N));

    expect(driver.transactions - before).toBe(1);
    expect(notes).toHaveLength(N);
    expect(notes.map((n) => n.title)).toEqual(inputs(N).map((x) => x.title));
    expect(notes[N - 1]).toMatchObject({
      content: `content of note ${N - 1} — ünïcödé`,
      version: 0,
      synced: 0,
      deleted_at: null,
    });
    expect(new Set(notes.map((n) => n.id)).size).toBe(N);
    const changed = events.filter((e) => e.type === 'changed');
    expect(changed).toEqual([
      { type: 'changed', table: 'notes', ids: notes.map((n) => n.id), origin: 'local' },
    ]);
    expect(f.status().pending).toBe(N);

    const queued = await f.outbox();
    expect(queued).toHaveLength(N);
    expect(queued.map((e) => e.recordId)).toEqual(notes.map((n) => n.id));
    for (let i = 1; i < N; i++) expect(queued[i]!.hlc > queued[i - 1]!.hlc).toBe(true);
    expect(queued[0]).toMatchObject({
      op: 'upsert',
      baseVersion: null,
      fields: { title: 'note 0', content: 'content of note 0 — ünïcödé' },
    });

    // A later single write is stamped after every stamp of the batch.
    await f.tables.notes.create({ title: 'after' });
    const last = (await f.outbox()).at(-1)!;
    expect(last.hlc > queued[N - 1]!.hlc).toBe(true);
    await f.close();
  });

  it('refuses the whole batch when one input is invalid: no transaction, nothing written, no event', async () => {
    const driver = await countingDriver();
    const f = await openTestFerry({ driver });
    const events: FerryEvent[] = [];
    f.subscribe((e) => events.push(e));
    const before = driver.transactions;
    const batch = inputs(100);
    batch[57] = { title: 'x'.repeat(1001), content: '' };
    const err = await f.tables.notes.createMany(batch).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid_input' });
    expect((err as Error).message).toMatch(/^item 58 of 100: "title" is longer than 1000/);
    expect(driver.transactions - before).toBe(0);
    expect(events).toEqual([]);
    expect(await f.outbox()).toEqual([]);
    expect(await f.tables.notes.list({ deleted: true })).toEqual([]);
    expect(await f.tables.notes.createMany([])).toEqual([]);
    expect(driver.transactions - before).toBe(2);
    expect(events).toEqual([]);
    await f.close();
  });

  it('a batch of 10 000 syncs completely to another device', { timeout: 180_000 }, async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    const notes = await a.tables.notes.createMany(inputs(N, 'synced'));
    let rounds = 0;
    for (let done = false; !done && rounds < 20; rounds++) done = (await a.sync()).complete;
    expect(a.status().pending).toBe(0);
    expect(await a.outbox()).toEqual([]);
    expect((await b.sync()).complete).toBe(true);
    const got = await b.tables.notes.list();
    expect(got).toHaveLength(N);
    const byId = new Map(got.map((n) => [n.id, n]));
    for (const n of notes)
      expect(byId.get(n.id)).toMatchObject({
        title: n.title,
        content: n.content,
        created_at: n.created_at,
        version: 1,
        synced: 1,
      });
    await a.close();
    await b.close();
  });
});
