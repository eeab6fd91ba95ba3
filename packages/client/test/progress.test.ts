import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../src/api.ts';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { FakeRemote } from '../src/testing/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

const id = (i: number): string => `0193a1c3-0000-7000-8000-${String(i).padStart(12, '0')}`;

async function engine(remote: FakeRemote, pullLimit: number) {
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(tempDbPath()),
    tokenStore: memoryTokenStore(),
    http: remote.http,
    pullLimit,
  });
  await f.login('http://127.0.0.1:9', 'me@example.com', 'password1');
  const statuses: SyncStatus[] = [];
  f.subscribe((e) => {
    if (e.type === 'status') statuses.push(e.status);
  });
  return { f, statuses };
}

const put = (remote: FakeRemote, from: number, to: number): void => {
  const t = new Date().toISOString();
  for (let i = from; i < to; i++)
    remote.put('notes', {
      id: id(i),
      title: `n${i}`,
      content: '',
      created_at: t,
      updated_at: t,
      deleted_at: null,
    });
};

describe('sync progress in the status (the server position extension)', () => {
  it('says how many rows of how many a long first sync has pulled, page by page', async () => {
    const remote = new FakeRemote();
    put(remote, 0, 2500);
    const { f, statuses } = await engine(remote, 1000);
    await f.sync();
    const progress = statuses.filter((s) => s.state === 'syncing').map((s) => s.progress);
    expect(progress).toEqual([
      null,
      { pulled: 1000, total: 2500 },
      { pulled: 2000, total: 2500 },
      { pulled: 2500, total: 2500 },
    ]);
    expect(f.status()).toMatchObject({ state: 'idle', progress: null });
    await f.close();
  });

  it('counts every write after the cursor (an upper bound on rows), exact once the pull ends', async () => {
    const remote = new FakeRemote();
    put(remote, 0, 150);
    const { f, statuses } = await engine(remote, 100);
    await f.sync();
    // Another device writes 300 notes, then edits the last 100 of them again: 400 positions ahead
    // of this device, for 300 rows.
    put(remote, 1500, 1800);
    put(remote, 1700, 1800);
    statuses.length = 0;
    await f.sync();
    const progress = statuses.filter((s) => s.state === 'syncing').map((s) => s.progress);
    expect(progress).toEqual([
      null,
      { pulled: 100, total: 400 },
      { pulled: 200, total: 400 },
      { pulled: 300, total: 300 },
    ]);
    await f.close();
  });

  it('has no total from a server that does not send its position', async () => {
    const remote = new FakeRemote();
    remote.sendPosition = false;
    put(remote, 0, 1500);
    const { f, statuses } = await engine(remote, 1000);
    await f.sync();
    const progress = statuses.filter((s) => s.state === 'syncing').map((s) => s.progress);
    expect(progress).toEqual([null, { pulled: 1000, total: null }, { pulled: 1500, total: null }]);
    await f.close();
  });
});
