import { describe, expect, it } from 'vitest';
import { isUuid } from '@ferry/protocol';
import { FerryError } from '../src/index.ts';
import { openTestFerry } from './helpers.ts';

describe('local writes', () => {
  it('create writes the row (synced=0, version 0) and one upsert outbox entry', async () => {
    let t = Date.parse('2026-01-02T03:04:05.000Z');
    const f = await openTestFerry({ now: () => t });
    const n = await f.tables.notes.create({ title: 'Groceries', content: 'milk' });
    expect(isUuid(n.id)).toBe(true);
    expect(n).toMatchObject({
      title: 'Groceries',
      content: 'milk',
      created_at: '2026-01-02T03:04:05.000Z',
      updated_at: '2026-01-02T03:04:05.000Z',
      deleted_at: null,
      version: 0,
      synced: 0,
    });
    const [e, ...rest] = await f.outbox();
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ table: 'notes', recordId: n.id, op: 'upsert', baseVersion: null });
    expect(e!.fields).toEqual({
      title: 'Groceries',
      content: 'milk',
      created_at: '2026-01-02T03:04:05.000Z',
      updated_at: '2026-01-02T03:04:05.000Z',
    });
    expect(f.status().pending).toBe(1);

    t += 1000;
    const u = await f.tables.notes.update(n.id, { content: 'oat milk' });
    expect(u.content).toBe('oat milk');
    expect(u.updated_at).toBe('2026-01-02T03:04:06.000Z');
    const d = await f.tables.notes.remove(n.id);
    expect(d.deleted_at).toBe('2026-01-02T03:04:06.000Z');
    const r = await f.tables.notes.restore(n.id);
    expect(r.deleted_at).toBeNull();
    const q = await f.outbox();
    expect(q.map((x) => [x.op, x.fields])).toEqual([
      ['upsert', expect.objectContaining({ title: 'Groceries' })],
      ['upsert', { content: 'oat milk', updated_at: '2026-01-02T03:04:06.000Z' }],
      ['delete', { deleted_at: '2026-01-02T03:04:06.000Z' }],
      ['upsert', { deleted_at: null }],
    ]);
    // Seqs increase and HLCs strictly increase, even within one millisecond.
    for (let i = 1; i < q.length; i++) {
      expect(q[i]!.seq).toBeGreaterThan(q[i - 1]!.seq);
      expect(q[i]!.hlc > q[i - 1]!.hlc).toBe(true);
    }
    await f.close();
  });

  it('lists newest first, searches title and content, filters deleted', async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    const f = await openTestFerry({ now: () => (t += 1000) });
    const a = await f.tables.notes.create({ title: 'Alpha', content: 'one 100%' });
    const b = await f.tables.notes.create({ title: 'beta', content: 'two' });
    const c = await f.tables.notes.create({ title: 'Gamma', content: 'ALPHA inside' });
    await f.tables.notes.remove(b.id);
    expect((await f.tables.notes.list()).map((n) => n.id)).toEqual([c.id, a.id]);
    expect((await f.tables.notes.list({ deleted: true })).map((n) => n.id)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    expect((await f.tables.notes.list({ deleted: 'only' })).map((n) => n.id)).toEqual([b.id]);
    expect((await f.tables.notes.list({ search: 'alpha' })).map((n) => n.id)).toEqual([c.id, a.id]);
    expect((await f.tables.notes.list({ search: '100%' })).map((n) => n.id)).toEqual([a.id]);
    expect((await f.tables.notes.list({ search: '_' })).map((n) => n.id)).toEqual([]);
    expect((await f.tables.notes.list({ limit: 1, offset: 1 })).map((n) => n.id)).toEqual([a.id]);
    await f.close();
  });

  it('lists only the fields asked for (and id), in the same order; refuses an unknown field', async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    const f = await openTestFerry({ now: () => (t += 1000) });
    const a = await f.tables.notes.create({ title: 'Alpha', content: 'a long text' });
    const b = await f.tables.notes.create({ title: 'beta', content: 'two' });
    await f.tables.notes.remove(b.id);
    const rows = await f.tables.notes.list({
      deleted: true,
      fields: ['title', 'synced', 'deleted_at'],
    });
    expect(rows).toEqual([
      { id: b.id, title: 'beta', synced: 0, deleted_at: expect.any(String) as string },
      { id: a.id, title: 'Alpha', synced: 0, deleted_at: null },
    ]);
    await expect(f.tables.notes.list({ fields: ['title', 'nope' as 'title'] })).rejects.toThrow(
      /no field "nope" in notes/,
    );
    await f.close();
  });

  it('refuses invalid input and unknown ids without writing anything', async () => {
    const f = await openTestFerry();
    await expect(f.tables.notes.create({ title: 'x'.repeat(1001) })).rejects.toMatchObject({
      kind: 'invalid_input',
    });
    await expect(
      f.tables.notes.update('0193a1c3-0000-7000-8000-000000000000', { title: 'x' }),
    ).rejects.toBeInstanceOf(FerryError);
    await expect(
      f.table('notes').update('0193a1c3-0000-7000-8000-000000000000', { version: 3 }),
    ).rejects.toMatchObject({ kind: 'invalid_input' });
    expect(await f.outbox()).toEqual([]);
    expect(await f.tables.notes.list({ deleted: true })).toEqual([]);
    await f.close();
  });

  it('emits changed events after local writes and keeps the clientId across reopen', async () => {
    const { tempDbPath } = await import('./helpers.ts');
    const path = tempDbPath();
    const f = await openTestFerry({ path });
    const events: string[] = [];
    f.subscribe((e) =>
      events.push(
        e.type === 'changed' ? `changed:${e.origin}:${e.ids.length}` : `status:${e.status.pending}`,
      ),
    );
    await f.tables.notes.create({ title: 'a' });
    expect(events).toEqual(['changed:local:1', 'status:1']);
    const id = f.clientId;
    await f.close();
    const g = await openTestFerry({ path });
    expect(g.clientId).toBe(id);
    expect(g.status().pending).toBe(1);
    await g.close();
  });

  it('after close, sync refuses (not retryable) and there is no connection for the poke stream', async () => {
    const f = await openTestFerry();
    await f.close();
    await expect(f.sync()).rejects.toMatchObject({ kind: 'closed', retryable: false });
    expect(await f.connection()).toBeNull();
  });
});
