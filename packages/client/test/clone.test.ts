import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHttp, memoryTokenStore, openFerry, type Ferry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

/**
 * A copied or restored local database (issue 7, item 3): both copies share one clientId and one
 * seq range. The server tells a copy's new mutation from a retry, the engine takes a fresh
 * clientId and sends its queue again: nothing lost, nothing applied twice.
 */
describe('copied and restored databases', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** Closes `f` (its WAL checkpointed into the file) and opens a copy of its file with the same token. */
  async function copyOf(
    f: Ferry<typeof ferryTables>,
    path: string,
    token: string,
  ): Promise<{
    copy: () => Promise<Ferry<typeof ferryTables>>;
    reopen: () => Promise<Ferry<typeof ferryTables>>;
  }> {
    await f.close();
    const backup = tempDbPath('backup.db');
    copyFileSync(path, backup);
    const open = async (p: string): Promise<Ferry<typeof ferryTables>> =>
      openFerry({
        ...ferrySchema,
        driver: await openNodeDriver(p),
        tokenStore: memoryTokenStore(token),
        http: fetchHttp,
      });
    return { copy: () => open(backup), reopen: () => open(path) };
  }

  /** Every note on the server as a fresh device sees it: title → version. */
  async function serverNotes(user: string): Promise<Map<string, number>> {
    const probe = await device(server, user);
    await probe.sync();
    const out = new Map(
      (await probe.tables.notes.list({ limit: 10_000 })).map((n) => [n.title, n.version]),
    );
    await probe.close();
    return out;
  }

  async function tokenOf(
    path: string,
    user: string,
  ): Promise<{ f: Ferry<typeof ferryTables>; token: string }> {
    const tokens = memoryTokenStore();
    const f = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(path),
      tokenStore: tokens,
      http: fetchHttp,
    });
    await f.signup(server.url, user, 'correct horse battery');
    return { f, token: (await tokens.get())! };
  }

  it('a cloned database: both copies write, both notes reach the server once', async () => {
    const user = email();
    const path = tempDbPath();
    const { f: a0, token } = await tokenOf(path, user);
    await a0.tables.notes.create({ title: 'before the copy' });
    await a0.sync();
    const { copy, reopen } = await copyOf(a0, path, token);
    const a = await reopen();
    const b = await copy();
    expect(b.clientId).toBe(a.clientId);

    await a.tables.notes.create({ title: 'written on a' });
    await b.tables.notes.create({ title: 'written on b' });
    expect((await a.sync()).complete).toBe(true);
    // On main the server answered `duplicate` here and b's note never arrived.
    expect((await b.sync()).complete).toBe(true);
    await a.sync();

    const titles = (f: Ferry<typeof ferryTables>) =>
      f.tables.notes.list({ limit: 100 }).then((ns) => ns.map((n) => n.title).sort());
    const all = ['before the copy', 'written on a', 'written on b'];
    expect(await titles(a)).toEqual(all);
    expect(await titles(b)).toEqual(all);
    expect(b.status().pending).toBe(0);
    expect(await serverNotes(user)).toEqual(new Map(all.map((t) => [t, 1])));
    expect(b.clientId).not.toBe(a.clientId);
    // b keeps syncing under its new id.
    await b.tables.notes.create({ title: 'later on b' });
    expect((await b.sync()).complete).toBe(true);
    await a.close();
    await b.close();
  });

  it('an older backup restored after newer syncs: its queue and its new writes arrive, nothing twice', async () => {
    const user = email();
    const path = tempDbPath();
    const { f: a0, token } = await tokenOf(path, user);
    await a0.sync();
    // The backup is taken while "queued in backup" is still queued.
    await a0.tables.notes.create({ title: 'queued in backup' });
    const { copy, reopen } = await copyOf(a0, path, token);
    const a = await reopen();
    await a.sync();
    await a.tables.notes.create({ title: 'after backup 1' });
    await a.sync();
    await a.tables.notes.create({ title: 'after backup 2' });
    await a.sync();
    await a.close();

    // The laptop is restored from the backup; the user writes before syncing.
    const b = await copy();
    expect(b.status().pending).toBe(1);
    await b.tables.notes.create({ title: 'written after restore' });
    expect((await b.sync()).complete).toBe(true);
    expect(b.status().pending).toBe(0);
    const titles = (await b.tables.notes.list({ limit: 100 })).map((n) => n.title).sort();
    expect(titles).toEqual([
      'after backup 1',
      'after backup 2',
      'queued in backup',
      'written after restore',
    ]);
    // "queued in backup" was applied once (version 1), though the backup sent it again.
    expect(await serverNotes(user)).toEqual(
      new Map([
        ['queued in backup', 1],
        ['after backup 1', 1],
        ['after backup 2', 1],
        ['written after restore', 1],
      ]),
    );
    await b.close();
  });
});
