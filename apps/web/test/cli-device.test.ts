/**
 * The `ferry` CLI as the browser's second device (issue 10): it sees a note written in the
 * browser, and its own edit appears in the page (the server pokes the page's event stream).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import {
  PASSWORD,
  authenticate,
  newEmail,
  openApp,
  watchErrors,
  writeNote,
} from './support/app-page.ts';
import { useWebApp } from './support/web-build.ts';

const exec = promisify(execFile);
const FERRY = fileURLToPath(new URL('../../../packages/cli/bin/ferry.js', import.meta.url));
const app = useWebApp();
const dir = mkdtempSync(join(tmpdir(), 'ferry-web-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ferry(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [FERRY, ...args, '--db', join(dir, 'cli.db')], {
    env: { ...process.env, FERRY_PASSWORD: PASSWORD },
    timeout: 60_000,
  });
  return stdout;
}

it("the CLI sees the browser's note, and the CLI's edit appears in the browser", async () => {
  const context = await app.browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  const email = newEmail('cli');
  await openApp(page, app.server.url);
  await authenticate(page, 'up', email);
  await writeNote(page, 'From the browser', 'Typed in Chromium.');
  await page.locator('[data-testid="sync-indicator"][data-state="synced"]').waitFor();

  await ferry('login', '--server', app.server.url, '--email', email, '--device', 'the CLI');
  await ferry('sync');
  const notes = JSON.parse(await ferry('ls', '--json')) as {
    id: string;
    title: string;
    content: string;
  }[];
  expect(notes.map((n) => [n.title, n.content])).toEqual([
    ['From the browser', 'Typed in Chromium.'],
  ]);

  await ferry('edit', notes[0]!.id, '--content', 'Edited on the CLI.');
  await ferry('sync');
  await expect
    .poll(() => page.getByTestId('editor-content').inputValue(), { timeout: 30_000 })
    .toBe('Edited on the CLI.');
  expect(errors).toEqual([]);
  await context.close();
}, 180_000);
