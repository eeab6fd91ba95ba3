import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type ferryTables } from '@ferry/protocol';
import { ErrorKind, FerryError, fetchHttp, type Ferry, type HttpFn } from '../src/index.ts';
import { tempDbPath } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

// Issue 7, item 8: a whole-batch 400 caused by one malformed mutation must not leave the queue
// stuck. The engine never writes such an entry itself; an older build, a bug or a hand edit can.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** Appends a raw row to a database's outbox through a second connection, as a hand edit would. */
function insertRaw(path: string, row: { recordId?: string; fields: string; hlc?: string }): string {
  const id = row.recordId ?? uuidv7(Date.now());
  const db = new Database(path);
  try {
    db.prepare(
      'INSERT INTO sync_queue (table_name, record_id, operation, fields, hlc, base_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      'notes',
      id,
      'upsert',
      row.fields,
      row.hlc ?? `${String(Date.now()).padStart(15, '0')}-00000-0123456789abcdef`,
      null,
      new Date().toISOString(),
    );
  } finally {
    db.close();
  }
  return id;
}

const goodFields = (title: string): string => {
  const now = new Date().toISOString();
  return JSON.stringify({ title, content: '', created_at: now, updated_at: now });
};

function countingHttp(): HttpFn & { syncs: number } {
  const fn = (async (req) => {
    if (req.url.endsWith('/v1/sync')) fn.syncs++;
    return fetchHttp(req);
  }) as HttpFn & { syncs: number };
  fn.syncs = 0;
  return fn;
}

async function syncOrReport(
  f: Ferry<typeof ferryTables>,
): Promise<Awaited<ReturnType<Ferry<typeof ferryTables>['sync']>>> {
  try {
    return await f.sync();
  } catch (e) {
    const err = e as FerryError;
    throw new Error(
      `sync failed: ${err.kind ?? ''} ${err.message}; status ${JSON.stringify(f.status())}`,
    );
  }
}

describe('a malformed queued mutation that makes the server refuse the whole request', () => {
  it('is found by bisection and set aside with the server code; everything else is pushed', async () => {
    const user = email();
    const path = tempDbPath();
    const http = countingHttp();
    const a = await device(server, user, { signup: true, path, http });
    const good: string[] = [];
    const add = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++)
        good.push((await a.tables.notes.create({ title: `good ${good.length}` })).id);
    };
    await add(7);
    const badHlc = insertRaw(path, { fields: goodFields('bad hlc'), hlc: 'not-an-hlc' });
    await add(40);
    const stringFields = insertRaw(path, { fields: '"not an object"' });
    await add(3);
    const nullFields = insertRaw(path, { fields: 'null' });
    const notJson = insertRaw(path, { fields: '{not json' });
    const badId = insertRaw(path, { recordId: 'not-a-uuid', fields: goodFields('bad id') });
    await add(11);
    expect((await a.outbox()).length).toBe(good.length + 5);

    const out = await syncOrReport(a);
    expect(out).toMatchObject({ pushed: good.length, complete: true });
    expect(a.status().pending).toBe(0);
    const rejected = await a.rejected();
    expect(rejected.map((r) => r.recordId).sort()).toEqual(
      [badHlc, stringFields, nullFields, notJson, badId].sort(),
    );
    for (const r of rejected) {
      expect(r.code).toBe('invalid_request');
      expect(r.message.length).toBeGreaterThan(0);
    }
    // Bisection is logarithmic: five culprits among 66 entries, far fewer requests than entries.
    expect(http.syncs).toBeLessThan(66);

    const b = await device(server, user);
    await b.sync();
    expect((await b.tables.notes.list()).map((n) => n.id).sort()).toEqual([...good].sort());
    await a.close();
    await b.close();
  });

  it('a 400 about the request itself (not a mutation) sets nothing aside', async () => {
    const path = tempDbPath();
    const a = await device(server, email(), { signup: true, path });
    for (let i = 0; i < 3; i++) await a.tables.notes.create({ title: `kept ${i}` });
    // A cursor beyond any position: the server refuses every request from this database with 400.
    const db = new Database(path);
    db.prepare("UPDATE app_state SET value = '9300000000000000000' WHERE key = 'cursor'").run();
    db.prepare(
      "INSERT OR IGNORE INTO app_state (key, value) VALUES ('cursor', '9300000000000000000')",
    ).run();
    db.close();
    const err = await a.sync().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).kind).toBe(ErrorKind.badRequest);
    expect(await a.rejected()).toEqual([]);
    expect((await a.outbox()).length).toBe(3);
    await a.close();
  });

  it('a server that takes fewer mutations per request than the client sends: the client sends fewer and drains', async () => {
    const small = await startTestServer({ maxMutationsPerRequest: 50 });
    try {
      const a = await device(small, email(), { signup: true });
      for (let i = 0; i < 120; i++) await a.tables.notes.create({ title: `n${i}` });
      expect(await syncOrReport(a)).toMatchObject({ pushed: 120, complete: true });
      expect(await a.rejected()).toEqual([]);
      await a.close();
    } finally {
      await small.close();
    }
  });
});
