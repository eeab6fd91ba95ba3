import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, purgeTombstones } from '@ferry/server';
import { fetchHttp, type HttpFn } from '../src/index.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { ferryTables, withTextConflicts } from '@ferry/protocol';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('410 resync_required', () => {
  it('pulls everything again, drops synced rows the server no longer has, keeps pending changes', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    const gone = await a.tables.notes.create({ title: 'will be purged' });
    const stays = await a.tables.notes.create({ title: 'stays' });
    await a.sync();
    await b.sync(); // B holds both rows, synced, and a cursor from before the delete
    await a.tables.notes.remove(gone.id);
    await a.sync();
    const db = openDatabase(server.dbUrl, 1);
    try {
      expect(await purgeTombstones(db, withTextConflicts(ferryTables), 0, Date.now() + 1000)).toBe(
        1,
      );
    } finally {
      await db.close();
    }
    const pending = await b.tables.notes.create({ title: 'written on B before the resync' });
    await b.tables.notes.update(stays.id, { content: 'edited on B' });
    let saw410 = false;
    const watch: HttpFn = async (req) => {
      const res = await fetchHttp(req);
      if (res.status === 410) saw410 = true;
      return res;
    };
    (b as unknown as { transport: { http: HttpFn } }).transport.http = watch;
    const out = await b.sync();
    expect(saw410).toBe(true);
    expect(out.complete).toBe(true);
    expect(await b.tables.notes.get(gone.id)).toBeNull();
    expect(await b.tables.notes.get(stays.id)).toMatchObject({ content: 'edited on B', synced: 1 });
    expect(await b.tables.notes.get(pending.id)).toMatchObject({ synced: 1 });
    await a.sync();
    expect((await a.tables.notes.list()).map((n) => n.title).sort()).toEqual([
      'stays',
      'written on B before the resync',
    ]);
    expect((await a.tables.notes.get(stays.id))!.content).toBe('edited on B');
    await a.close();
    await b.close();
  });
});

describe('crash consistency', () => {
  it('a failure in the middle of applying a response leaves nothing half-applied, and the retry completes', async () => {
    const user = email();
    let failAt: 'acknowledged' | 'pulled' | null = null;
    const a = await device(server, user, {
      signup: true,
      hooks: {
        applyProbe: (step) => {
          if (step === failAt) throw new Error(`simulated crash after ${step}`);
        },
      },
    });
    const other = await device(server, user);
    await other.tables.notes.create({ title: 'from the other device' });
    await other.sync();
    const n = await a.tables.notes.create({ title: 'mine' });
    await a.tables.notes.update(n.id, { content: 'second edit' });
    const snapshot = async (): Promise<unknown> => ({
      outbox: await a.outbox(),
      rows: await a.tables.notes.list({ deleted: true }),
      state: await (
        a as unknown as {
          driver: {
            transaction: <T>(
              fn: (tx: { all: (s: string) => Promise<T> }) => Promise<T>,
            ) => Promise<T>;
          };
        }
      ).driver.transaction((tx) =>
        tx.all(
          "SELECT key, value FROM app_state WHERE key IN ('cursor', 'last_sync_at') ORDER BY key",
        ),
      ),
    });
    for (const step of ['acknowledged', 'pulled'] as const) {
      failAt = step;
      const before = await snapshot();
      await expect(a.sync()).rejects.toThrow(`simulated crash after ${step}`);
      expect(await snapshot()).toEqual(before);
      expect(a.status()).toMatchObject({ state: 'error', pending: 2 });
    }
    failAt = null;
    const out = await a.sync();
    // The server already applied the batch in the failed attempts: the retry is acknowledged as duplicates.
    expect(out).toMatchObject({ pushed: 2, complete: true });
    expect(await a.outbox()).toEqual([]);
    expect((await a.tables.notes.list()).map((x) => x.title).sort()).toEqual([
      'from the other device',
      'mine',
    ]);
    expect(await a.tables.notes.get(n.id)).toMatchObject({
      content: 'second edit',
      version: 2,
      synced: 1,
    });
    await other.sync();
    expect(await other.tables.notes.get(n.id)).toMatchObject({
      content: 'second edit',
      version: 2,
    });
    await a.close();
    await other.close();
  });
});

describe('server down', () => {
  it('local writes succeed while the server is down and reach it when it comes back', async () => {
    const own = await startTestServer();
    try {
      const user = email();
      const a = await device(own, user, { signup: true });
      await own.stop();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await a.tables.notes.create({ title: `offline ${i}` })).id);
      await a.tables.notes.update(ids[0]!, { content: 'edited offline' });
      await expect(a.sync()).rejects.toMatchObject({ kind: 'network' });
      expect(a.status()).toMatchObject({ state: 'offline', pending: 6 });
      expect(a.status().lastError?.code).toBe('network');
      await own.restart();
      const out = await a.sync();
      expect(out).toMatchObject({ pushed: 6, complete: true });
      expect(a.status()).toMatchObject({ state: 'idle', pending: 0, lastError: null });
      const b = await device(own, user);
      await b.sync();
      expect((await b.tables.notes.list()).length).toBe(5);
      expect((await b.tables.notes.get(ids[0]!))!.content).toBe('edited offline');
      await a.close();
      await b.close();
    } finally {
      await own.close();
    }
  });
});
