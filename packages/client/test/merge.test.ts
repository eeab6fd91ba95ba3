import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTable, notes, withPolicy } from '@ferry/protocol';
import { fetchHttp } from '../src/index.ts';
import { hookedHttp } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

describe('pulled rows and pending local changes (LWW)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('a pulled row keeps a field with a queued local change; if that change then loses, the server value comes back', async () => {
    const user = email();
    // A's clock runs 50 s ahead (inside the server's drift allowance), so A's edit beats B's concurrent one.
    const a = await device(server, user, { signup: true, now: () => Date.now() + 50_000 });
    const hb = hookedHttp(fetchHttp);
    const b = await device(server, user, { http: hb.http });
    const id = (await a.tables.notes.create({ title: 'original', content: 'body' })).id;
    await a.sync();
    await b.sync();
    await a.tables.notes.update(id, { title: 'A title', content: 'A body' });
    await a.sync();

    // B's request pulls A's row while B's concurrent edit of `title` is queued but not sent.
    hb.once(async () => {
      await b.tables.notes.update(id, { title: 'B title' });
    });
    await b.sync();
    const mid = await b.tables.notes.get(id);
    expect(mid).toMatchObject({ title: 'B title', content: 'A body', synced: 0 });

    // B's edit is pushed and loses to A's later HLC (superseded): B must show A's title again.
    await b.sync();
    const end = await b.tables.notes.get(id);
    expect(end).toMatchObject({ title: 'A title', content: 'A body', synced: 1 });
    await a.sync();
    const { synced: _s1, ...onA } = (await a.tables.notes.get(id))!;
    const { synced: _s2, ...onB } = end!;
    expect(onB).toEqual(onA);
    await a.close();
    await b.close();
  });

  it("an edit made after seeing another device's change wins, whatever the clocks say (±24 h)", async () => {
    const user = email();
    const day = 24 * 60 * 60 * 1000;
    const fast = await device(server, user, { signup: true, now: () => Date.now() + day });
    const slow = await device(server, user, { now: () => Date.now() - day });
    const right = await device(server, user);
    const all = [fast, slow, right];
    const id = (await right.tables.notes.create({ title: 't0', content: 'c0' })).id;
    const syncAll = async (): Promise<void> => {
      for (const d of all) await d.sync();
      for (const d of all) await d.sync();
    };
    await syncAll();
    // Each device in turn edits after seeing the previous edit: the last edit must win.
    const order = [fast, slow, right, slow, fast, right, fast, slow];
    for (const [i, d] of order.entries()) {
      await d.sync();
      await d.tables.notes.update(id, { title: `edit ${i}` });
      await d.sync();
    }
    await syncAll();
    const rows = await Promise.all(all.map(async (d) => d.tables.notes.get(id)));
    for (const r of rows) expect(r).toMatchObject({ title: `edit ${order.length - 1}`, synced: 1 });
    const strip = rows.map((r) => ({ ...r, synced: 0 }));
    expect(strip[1]).toEqual(strip[0]);
    expect(strip[2]).toEqual(strip[0]);

    // Concurrent edits of one field: all converge to one winner, the same on every device.
    await fast.tables.notes.update(id, { content: 'from fast' });
    await slow.tables.notes.update(id, { content: 'from slow' });
    await right.tables.notes.update(id, { content: 'from right' });
    await syncAll();
    const contents = await Promise.all(
      all.map(async (d) => (await d.tables.notes.get(id))!.content),
    );
    expect(new Set(contents).size).toBe(1);
    for (const d of all) await d.close();
  });
});

describe('version policy: conflicts', () => {
  const versioned = withPolicy(notes, 'version');
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ tables: [versioned] });
  });
  afterAll(async () => {
    await server.close();
  });

  it('records a conflict with both sides, shows theirs, and "mine" wins after resolving', async () => {
    const user = email();
    const a = await device(server, user, { signup: true, tables: [versioned] });
    const b = await device(server, user, { tables: [versioned] });
    const id = (await a.tables.notes.create({ title: 'v1', content: 'c' })).id;
    await a.sync();
    await b.sync();
    await a.tables.notes.update(id, { title: 'A edit' });
    await a.sync();
    await b.tables.notes.update(id, { title: 'B edit' });
    const out = await b.sync();
    expect(out.complete).toBe(true);
    const [c, ...more] = await b.conflicts();
    expect(more).toEqual([]);
    expect(c).toMatchObject({
      table: 'notes',
      recordId: id,
      mine: { title: 'B edit' },
      theirs: { title: 'A edit', version: 2 },
    });
    expect(await b.tables.notes.get(id)).toMatchObject({ title: 'A edit', version: 2, synced: 1 });

    await b.resolveConflict(c!.id, 'mine');
    expect(await b.conflicts()).toEqual([]);
    expect(await b.tables.notes.get(id)).toMatchObject({ title: 'B edit', synced: 0 });
    expect((await b.outbox())[0]).toMatchObject({ baseVersion: 2, fields: { title: 'B edit' } });
    await b.sync();
    await a.sync();
    expect(await a.tables.notes.get(id)).toMatchObject({ title: 'B edit', version: 3 });
    expect(await b.conflicts()).toEqual([]);
    await a.close();
    await b.close();
  });

  it('"theirs" keeps the server row; a device\'s own consecutive edits never conflict with each other', async () => {
    const user = email();
    const a = await device(server, user, { signup: true, tables: [versioned] });
    const b = await device(server, user, { tables: [versioned] });
    const id = (await a.tables.notes.create({ title: 'v1', content: 'c' })).id;
    // Several edits of one row before any sync: sent one per batch, each rebased on the last.
    await a.tables.notes.update(id, { title: 'v2' });
    await a.tables.notes.update(id, { content: 'c3' });
    await a.tables.notes.remove(id);
    await a.tables.notes.restore(id);
    await a.sync();
    expect(await a.conflicts()).toEqual([]);
    expect(await a.tables.notes.get(id)).toMatchObject({
      title: 'v2',
      content: 'c3',
      deleted_at: null,
      version: 5,
      synced: 1,
    });
    await b.sync();
    await a.tables.notes.update(id, { title: 'A' });
    await a.sync();
    await b.tables.notes.update(id, { title: 'B' });
    await b.sync();
    const [c] = await b.conflicts();
    await b.resolveConflict(c!.id, 'theirs');
    expect(await b.conflicts()).toEqual([]);
    expect(await b.outbox()).toEqual([]);
    expect(await b.tables.notes.get(id)).toMatchObject({ title: 'A', synced: 1 });
    await a.close();
    await b.close();
  });
});

describe('rejected changes', () => {
  /** A table this client declares but the server does not serve. */
  const tasks = defineTable('tasks', {
    fields: { title: { type: 'text' } },
    timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
    search: ['title'],
  });
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('are moved aside where the app can show them, and never block the rest of the queue', async () => {
    const a = await device(server, email(), { signup: true, tables: [notes, tasks] });
    const task = await a.tables.tasks.create({ title: 'a task' });
    const note = await a.tables.notes.create({ title: 'a note' });
    const out = await a.sync();
    expect(out).toMatchObject({ pushed: 2, complete: true });
    expect(await a.outbox()).toEqual([]);
    const [r, ...more] = await a.rejected();
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      table: 'tasks',
      recordId: task.id,
      op: 'upsert',
      code: 'unknown_table',
      fields: { title: 'a task' },
    });
    expect(await a.tables.notes.get(note.id)).toMatchObject({ synced: 1, version: 1 });
    // The server never took the task: it stays unsynced locally.
    expect(await a.tables.tasks.get(task.id)).toMatchObject({ synced: 0, version: 0 });
    await a.dismissRejected(r!.id);
    expect(await a.rejected()).toEqual([]);
    await expect(a.dismissRejected(r!.id)).rejects.toMatchObject({ kind: 'not_found' });
    await a.close();
  });
});
