import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  type SyncResponse,
  type ferryTables,
} from '@ferry/protocol';
import { fetchHttp, type Ferry, type SqlDriver } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { slowHttp, tempDbPath } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** How a device syncs: the engine, or the seed's approach. */
type SyncStrategy = (f: Ferry<typeof ferryTables>, driver: SqlDriver) => Promise<void>;

const engineSync: SyncStrategy = async (f) => {
  await f.sync();
};

let naiveSeq = 1_000_000;
/**
 * The seed's design: send every row with synced = 0, then `UPDATE notes SET synced = 1 WHERE
 * synced = 0` (and clear the queue). An edit made while the POST is in flight is marked synced
 * without ever being sent.
 */
const naiveMarkSynced: SyncStrategy = async (f, driver) => {
  const rows = await driver.transaction((tx) =>
    tx.all<Record<string, string | number | null>>('SELECT * FROM notes WHERE synced = 0'),
  );
  const outbox = await f.outbox();
  const { server: url, token } = (await f.connection())!;
  const body = {
    protocol: PROTOCOL_VERSION,
    clientId: f.clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations: rows.map((r) => ({
      seq: ++naiveSeq,
      table: 'notes',
      id: r.id,
      op: 'upsert',
      fields: {
        title: r.title,
        content: r.content,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
      },
      hlc: outbox.at(-1)!.hlc,
      baseVersion: null,
    })),
  };
  const http = (f as unknown as { opts: { http: typeof fetchHttp } }).opts.http;
  const res = await http({
    method: 'POST',
    url: `${url}/v1/sync`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`naive sync failed: ${res.status} ${res.body}`);
  void (JSON.parse(res.body) as SyncResponse);
  await driver.transaction(async (tx) => {
    await tx.run('UPDATE notes SET synced = 1 WHERE synced = 0');
    await tx.run('DELETE FROM sync_queue');
  });
};

/** Device A edits a note while its sync is in flight; afterwards B must see that edit. */
async function editDuringSync(
  strategy: SyncStrategy,
): Promise<{ onB: string | undefined; local: string | undefined }> {
  const user = email();
  const path = tempDbPath();
  let a: Ferry<typeof ferryTables> | null = null;
  let noteId = '';
  const http = slowHttp(fetchHttp, async () => {
    await a!.tables.notes.update(noteId, { content: 'edited while the request was in flight' });
  });
  a = await device(server, user, { signup: true, http, path });
  const driver = await openNodeDriver(path); // a second connection, used only by the naive strategy
  const n = await a.tables.notes.create({ title: 'note', content: 'first' });
  noteId = n.id;
  await strategy(a, driver); // the edit happens inside this call
  await strategy(a, driver); // any later sync should carry it
  const b = await device(server, user);
  await b.sync();
  const onB = (await b.tables.notes.get(noteId))?.content;
  const local = (await a.tables.notes.get(noteId))?.content;
  await driver.close();
  await a.close();
  await b.close();
  return { onB, local };
}

describe('an edit made while a sync is in flight', () => {
  it('is never lost: it stays queued and reaches the server on the next sync', async () => {
    const { onB, local } = await editDuringSync(engineSync);
    expect(local).toBe('edited while the request was in flight');
    expect(onB).toBe('edited while the request was in flight');
  });

  it('is lost by the seed approach (UPDATE ... SET synced = 1 WHERE synced = 0), so the test above can fail', async () => {
    const { onB, local } = await editDuringSync(naiveMarkSynced);
    expect(local).toBe('edited while the request was in flight');
    expect(onB).toBe('first');
  });

  it('stays pending (synced = 0) right after the in-flight sync, even though the pulled row has the old value', async () => {
    const user = email();
    let a: Ferry<typeof ferryTables> | null = null;
    let id = '';
    const http = slowHttp(fetchHttp, async () => {
      await a!.tables.notes.update(id, { title: 'new title' });
    });
    a = await device(server, user, { signup: true, http });
    id = (await a.tables.notes.create({ title: 'old title', content: 'c' })).id;
    const out = await a.sync();
    // The edit was queued after this sync started, so this sync does not wait for it: it is
    // still queued, the row keeps it (not the pulled old title) and is not marked synced.
    const row = await a.tables.notes.get(id);
    expect(row).toMatchObject({ title: 'new title', synced: 0, version: 1 });
    expect(out.complete).toBe(false);
    expect((await a.outbox()).map((e) => e.fields)).toEqual([
      { title: 'new title', updated_at: row!.updated_at },
    ]);
    expect(a.status().pending).toBe(1);
    await a.sync();
    expect(await a.outbox()).toEqual([]);
    expect(await a.tables.notes.get(id)).toMatchObject({ title: 'new title', synced: 1 });
    await a.close();
  });
});
