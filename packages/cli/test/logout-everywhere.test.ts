import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

// `ferry logout --everywhere`: every device of the account is signed out (auth exit code 4 on its
// next sync), the local notes stay, and signing in again resumes.
const PASSWORD = 'correct horse battery';

let server: TestServer;
let dir: { path: string; remove(): Promise<void> };
const db = (name: string): string => join(dir.path, `${name}.db`);
beforeAll(async () => {
  server = await startTestServer();
  dir = await tempDir();
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

async function ok(args: string[]): Promise<string> {
  const r = await runFerry(args, { env: { FERRY_PASSWORD: PASSWORD } });
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('ferry logout --everywhere', () => {
  it('signs out every device of the account; their next sync fails with the auth exit code', async () => {
    const email = `everywhere-${Date.now()}@example.com`;
    await ok(['signup', '--server', server.url, '--email', email, '--db', db('a')]);
    await ok(['login', '--server', server.url, '--email', email, '--db', db('b')]);
    await ok(['add', 'kept on b', '--db', db('b')]);
    expect(await ok(['logout', '--everywhere', '--db', db('a')])).toMatch(/every device/);
    const onB = await runFerry(['sync', '--db', db('b')]);
    expect(onB.code).toBe(4);
    expect((await runFerry(['sync', '--db', db('a')])).code).toBe(4);
    // Nothing local is lost: b signs in again and its queued note reaches the server.
    await ok(['login', '--server', server.url, '--email', email, '--db', db('b')]);
    await ok(['sync', '--db', db('b')]);
    await ok(['login', '--server', server.url, '--email', email, '--db', db('a')]);
    await ok(['sync', '--db', db('a')]);
    expect(await ok(['ls', '--db', db('a')])).toContain('kept on b');
  });
});
