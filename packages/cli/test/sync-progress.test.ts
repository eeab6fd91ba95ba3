import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

const PASSWORD = 'correct horse battery';
let dir: { path: string; remove(): Promise<void> };
let server: TestServer;
const db = (name: string): string => join(dir.path, `${name}.db`);

beforeAll(async () => {
  dir = await tempDir('ferry-sync-progress-');
  // Pages of at most 1 000 rows (the CLI asks for 5 000), so 2 500 notes take three pages.
  server = await startTestServer({ FERRY_MAX_PULL_LIMIT: '1000' });
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await runFerry(args, { env: { FERRY_PASSWORD: PASSWORD } });
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

describe('ferry sync --progress', () => {
  it('shows how many notes of how many a long first sync has pulled', async () => {
    const folder = join(dir.path, 'notes');
    await mkdir(folder);
    for (let i = 0; i < 2500; i++)
      await writeFile(join(folder, `note-${i}.md`), `# note ${i}\n\nbody ${i}\n`);
    await ok([
      'signup',
      '--server',
      server.url,
      '--email',
      'progress@example.com',
      '--db',
      db('a'),
    ]);
    await ok(['import', folder, '--db', db('a')]);
    await ok(['sync', '--db', db('a')]);

    await ok(['login', '--server', server.url, '--email', 'progress@example.com', '--db', db('b')]);
    const { stderr, stdout } = await ok(['sync', '--progress', '--db', db('b')]);
    // Each applied page reports its count against the server's total.
    expect(stderr).toMatch(/syncing: 0 pushed, 1000 of 2500 pulled/);
    expect(stderr).toMatch(/syncing: 0 pushed, 2500 of 2500 pulled/);
    expect(stdout).toMatch(/pulled 2500/);
  });
});
