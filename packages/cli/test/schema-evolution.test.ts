import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchHttp,
  memoryTokenStore,
  openFerry,
  type Ferry,
  type HttpFn,
  type SyncOutcome,
} from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { ferrySchema, type TableDecl } from '@ferry/protocol';
import { ferrySchemaV2 } from '../../client/test/support/ferry-schema-v2.ts';
import { noFaults, seededFaults, startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';
import { mulberry32 } from './support/prng.ts';
import { startTestServer, type TestServer } from './support/server.ts';

// Issue 9 item 2: schema 3 adds notebooks and notes.notebook_id while a device of schema 2 is
// offline with queued edits. Both devices sync with one server through fault-injecting proxies
// and converge; the old device is never sent what it does not know and its edits leave the
// notebook_id the new device set; once upgraded (same database, the new declarations) it keeps
// its queue and receives notebook_id. FERRY_SCHEMA_SEED replays a seed.
const SEED = Number(process.env.FERRY_SCHEMA_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PASSWORD = 'schema evolution password';

let server: TestServer;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await server?.close();
});

/** Syncs until the outbox is empty and the pull complete, through whatever the proxy does. */
async function syncUntilComplete(f: Ferry<readonly TableDecl[]>): Promise<void> {
  let last: unknown = null;
  for (let i = 0; i < 80; i++) {
    try {
      const out: SyncOutcome = await f.sync();
      if (out.complete && (await f.outbox()).length === 0) return;
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`no complete sync in 80 tries (seed ${SEED}): ${String(last)}`);
}

/** The engine's fetch, keeping every sync response body it read. */
function recordingHttp(bodies: string[]): HttpFn {
  return async (req) => {
    const res = await fetchHttp(req);
    if (req.url.endsWith('/v1/sync')) bodies.push(res.body);
    return res;
  };
}

async function open<const T extends readonly TableDecl[]>(
  path: string,
  schema: { tables: T; schemaVersion: number },
  token: string | null,
  http: HttpFn = fetchHttp,
): Promise<Ferry<T>> {
  const driver = await openNodeDriver(path);
  return openFerry({ ...schema, driver, tokenStore: memoryTokenStore(token), http });
}

const notesOf = async (f: Ferry<readonly TableDecl[]>) =>
  (await f.tables.notes!.list({ deleted: true }))
    .map((n) => ({ id: n.id, title: n.title, content: n.content, notebook_id: n.notebook_id }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));

describe(`schema evolution with a device offline (seed ${SEED})`, () => {
  it('a schema-2 device with queued edits and a schema-3 device converge; the upgrade keeps the queue', async () => {
    console.log(`schema evolution seed ${SEED} (FERRY_SCHEMA_SEED=${SEED} replays it)`);
    const rng = mulberry32(SEED);
    const proxyNew = await startFaultProxy(server.url);
    const proxyOld = await startFaultProxy(server.url);
    proxies.push(proxyNew, proxyOld);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-schema-'));
    const email = `schema-${SEED}-${Date.now()}@example.com`;

    const fresh = await open(join(dir, 'new.db'), ferrySchema, null);
    await fresh.signup(proxyNew.url, email, PASSWORD);
    const oldBodies: string[] = [];
    const oldPath = join(dir, 'old.db');
    const old = await open(oldPath, ferrySchemaV2, null, recordingHttp(oldBodies));
    await old.login(proxyOld.url, email, PASSWORD, 'old device');
    proxyNew.setPlan(seededFaults(rng.fork('new'), 0.3));
    proxyOld.setPlan(seededFaults(rng.fork('old'), 0.3));

    // The new device makes a notebook and two notes; the old device pulls the notes.
    const work = await fresh.tables.notebooks.create({ name: 'Work' });
    const n1 = await fresh.tables.notes.create({ title: 'one', content: 'first' });
    const n2 = await fresh.tables.notes.create({ title: 'two', content: 'second' });
    await syncUntilComplete(fresh);
    await syncUntilComplete(old);
    expect((await old.tables.notes.list()).map((n) => n.title).sort()).toEqual(['one', 'two']);

    // The new device files both notes; the old device, offline, edits them and makes a third.
    await fresh.tables.notes.update(n1.id, { notebook_id: work.id });
    await fresh.tables.notes.update(n2.id, { notebook_id: work.id });
    await syncUntilComplete(fresh);
    await old.tables.notes.update(n1.id, { title: 'one, edited offline' });
    await old.tables.notes.update(n2.id, { content: 'second, edited offline' });
    const n3 = await old.tables.notes.create({ title: 'three', content: 'made offline' });
    expect(await old.outbox()).toHaveLength(3);

    await syncUntilComplete(old);
    await syncUntilComplete(fresh);
    await syncUntilComplete(old);

    const expected = [
      { id: n1.id, title: 'one, edited offline', content: 'first', notebook_id: work.id },
      { id: n2.id, title: 'two', content: 'second, edited offline', notebook_id: work.id },
      { id: n3.id, title: 'three', content: 'made offline', notebook_id: null },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await notesOf(fresh)).toEqual(expected);
    // The old device has the same notes, without the field it does not know.
    expect(await notesOf(old)).toEqual(expected.map((n) => ({ ...n, notebook_id: undefined })));
    // It was never sent a notebook or a notebook_id.
    expect(oldBodies.length).toBeGreaterThan(0);
    for (const body of oldBodies) expect(body).not.toContain('notebook');

    // Offline again with a queued edit, the old device is upgraded to schema 3.
    await old.tables.notes.update(n3.id, { title: 'three, queued before the upgrade' });
    const queued = await old.outbox();
    const conn = await old.connection();
    await old.close();
    const upgraded = await open(oldPath, ferrySchema, conn!.token);
    expect(await upgraded.outbox()).toEqual(queued);
    await syncUntilComplete(upgraded);
    await syncUntilComplete(fresh);
    proxyNew.setPlan(noFaults);
    proxyOld.setPlan(noFaults);
    const final = expected.map((n) =>
      n.id === n3.id ? { ...n, title: 'three, queued before the upgrade' } : n,
    );
    expect(await notesOf(upgraded)).toEqual(final);
    expect(await notesOf(fresh)).toEqual(final);
    expect((await upgraded.tables.notebooks.list()).map((b) => [b.id, b.name])).toEqual([
      [work.id, 'Work'],
    ]);
    // The proxies did fail requests (else this proved nothing about faults).
    const faults = [proxyNew, proxyOld].reduce(
      (n, p) => n + Object.entries(p.counts).reduce((m, [k, c]) => m + (k === 'pass' ? 0 : c), 0),
      0,
    );
    expect(faults).toBeGreaterThan(0);
    await upgraded.close();
    await fresh.close();
  }, 120_000);
});
