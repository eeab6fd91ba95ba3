import type { ferryTables } from '@ferry/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, type Ferry } from '../src/index.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Polls `cond` every 20 ms for up to `ms`. */
async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

describe('scheduler with the real engine, server and SSE pokes', () => {
  it("syncs a local write shortly after it, and pulls another device's change on a poke", async () => {
    const user = email();
    const a: Ferry<typeof ferryTables> = await device(server, user, { signup: true });
    const b: Ferry<typeof ferryTables> = await device(server, user);
    // Long interval: only the write trigger and pokes can explain the syncs below.
    const sa = createScheduler(a, { intervalMs: 600_000, debounceMs: 50 });
    const sb = createScheduler(b, { intervalMs: 600_000, debounceMs: 50 });
    sa.start();
    sb.start();
    await until(() =>
      Promise.resolve(
        sa.history.length >= 1 && sb.history.length >= 1 && !a.isSyncing() && !b.isSyncing(),
      ),
    );
    await new Promise((r) => setTimeout(r, 300)); // let the poke streams connect
    const n = await a.tables.notes.create({ title: 'from a' });
    await until(async () => (await a.tables.notes.get(n.id))?.synced === 1);
    expect(sa.history.map((h) => h.trigger)).toContain('write');
    await until(async () => (await b.tables.notes.get(n.id)) !== null);
    expect(sb.history.map((h) => h.trigger)).toContain('poke');
    expect(b.status()).toMatchObject({ state: 'idle' });
    // The server pokes every stream of the account, a's too: a's own write, which its sync has
    // already brought it to, starts no second sync there.
    await new Promise((r) => setTimeout(r, 500));
    expect(sa.history.map((h) => h.trigger)).toEqual(['start', 'write']);
    sa.stop();
    sb.stop();
    await a.close();
    await b.close();
  });
});
