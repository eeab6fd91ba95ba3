import { join } from 'node:path';
import { openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { fileTokenStore } from '@ferry/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runFerry, spawnFerry } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

// `ferry watch`: continuous sync with a status line, stopped cleanly by SIGINT.
let server: TestServer;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  server = await startTestServer();
  dir = await tempDir('ferry-watch-');
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ferry watch', () => {
  it('pushes local writes and pulls remote ones while running, and exits 0 on SIGINT', async () => {
    const a = join(dir.path, 'a.db');
    const b = join(dir.path, 'b.db');
    const env = { FERRY_PASSWORD: 'watch password' };
    const email = `watch-${Date.now()}@example.com`;
    expect(
      (await runFerry(['signup', '--server', server.url, '--email', email, '--db', a], { env }))
        .code,
    ).toBe(0);
    // The other device runs in-process, to keep this test to a few process starts.
    const other: Ferry<typeof ferryTables> = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(b),
      tokenStore: fileTokenStore(`${b}.token`),
    });
    await other.login(server.url, email, env.FERRY_PASSWORD);

    const watch = spawnFerry(['watch', '--interval', '1', '--db', a]);
    const done = collect(watch);
    let stderr = '';
    watch.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(
        () => Promise.resolve(/idle · 0 pending · last sync \d\d:/.test(stderr)),
        'the first sync',
      );
      // A write from another process on the same database is pushed by the watcher.
      const add = await runFerry(['add', 'written while watching', '--db', a]);
      expect(add.code, add.stderr).toBe(0);
      await waitFor(async () => {
        await other.sync();
        return (await other.tables.notes.list()).some((r) => r.title === 'written while watching');
      }, 'the note to reach the other device');
      // A write on the other device is pulled by the watcher (periodic sync or server poke).
      const { id } = await other.tables.notes.create({ title: 'from b' });
      expect((await other.sync()).complete).toBe(true);
      await waitFor(
        async () => (await runFerry(['show', id, '--db', a])).code === 0,
        'the watcher to pull the note',
      );
    } finally {
      watch.kill('SIGINT');
      await other.close();
    }
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Stopped; 0 change\(s\) pending/);
  });
});
