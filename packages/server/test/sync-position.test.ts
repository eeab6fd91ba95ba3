import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

/**
 * The `position` extension (docs/protocol.md, "Extensions to v1"): every sync response says the
 * user's latest change position, so `position − cursor` tells a client how many changes are
 * still ahead of it (for progress).
 */
describe('sync responses carry the user position', () => {
  it('on a pull page, on an idle poll and after a push', async () => {
    const user = await signup(srv.url);
    const writer = new Device(srv.url, user.token);
    const ids = Array.from({ length: 25 }, () => newId());
    const pushed = await writer.sync(
      ids.map((id, i) => writer.mutation('notes', id, 'upsert', newNote(`n${i}`))),
    );
    expect(pushed.status).toBe(200);
    // The writer was current: the push's own rows are its page, and the position is the last one.
    expect(pushed.body.position).toBe('25');
    expect(pushed.body.cursor).toBe('25');

    // Another device pulls in pages of 10: each page says how far the user's position is.
    const reader = new Device(srv.url, user.token);
    const seen: { cursor: string; position: string | undefined; hasMore: boolean }[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await reader.sync([], { pullLimit: 10 });
      expect(r.status).toBe(200);
      seen.push({ cursor: r.body.cursor, position: r.body.position, hasMore: r.body.hasMore });
      if (!r.body.hasMore) break;
    }
    expect(seen).toEqual([
      { cursor: '10', position: '25', hasMore: true },
      { cursor: '20', position: '25', hasMore: true },
      { cursor: '25', position: '25', hasMore: false },
    ]);

    // Idle poll (cursor at the position): answered without a pull query, still with the position.
    const idle = await reader.sync([], { pullLimit: 10 });
    expect(idle.body).toMatchObject({ cursor: '25', position: '25', changes: [] });

    // An edit of one note: one more position; a device that is behind sees the distance.
    await writer.sync([writer.mutation('notes', ids[0]!, 'upsert', { title: 'again' })]);
    const behind = new Device(srv.url, user.token);
    const first = await behind.sync([], { pullLimit: 10 });
    expect(first.body).toMatchObject({ position: '26', hasMore: true });
    expect(BigInt(first.body.position!) - BigInt(first.body.cursor)).toBeGreaterThan(0n);
  });
});
