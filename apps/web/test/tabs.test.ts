/**
 * Two tabs of the web app on one profile, in Chromium against the real server: one tab holds the
 * database (a Web Lock), the other forwards to it; a note written in either shows in both within
 * a second, with no OPFS or lock error in either console. When the tab that holds the database
 * closes, the other takes it over and keeps working.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedTitles, openApp, watchErrors, writeNote } from './support/app-page.ts';
import { buildWebApp, launchPersistent, serveWebApp, type WebServer } from './support/web-build.ts';

let server: WebServer;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  server = await serveWebApp(await buildWebApp());
  profile = mkdtempSync(join(tmpdir(), 'ferry-profile-'));
  context = await launchPersistent(profile);
}, 180_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/**
 * Brings `page` to the front (a background tab renders no frames, which Playwright's waits poll
 * on) and waits at most `ms` for its list to show `title`.
 */
async function shows(page: Page, title: string, ms: number): Promise<void> {
  await page.bringToFront();
  await page
    .locator('[data-testid="note-item-title"]', { hasText: title })
    .waitFor({ state: 'attached', timeout: ms });
}

describe('two tabs on one profile', () => {
  it('both open the app; a write in either shows in the other within a second', async () => {
    const a = context.pages()[0] ?? (await context.newPage());
    const errorsA = watchErrors(a);
    await openApp(a, server.url);
    const b = await context.newPage();
    const errorsB = watchErrors(b);
    await openApp(b, server.url);
    await expect(a.getByTestId('tab-role').getAttribute('data-role')).resolves.toBe('leader');
    await expect(b.getByTestId('tab-role').getAttribute('data-role')).resolves.toBe('follower');

    await a.bringToFront();
    await writeNote(a, 'Written in tab A', 'The tab that holds the database.');
    await shows(b, 'Written in tab A', 1000);
    await writeNote(b, 'Written in tab B', 'Forwarded to the other tab.');
    await shows(a, 'Written in tab B', 1000);
    // Other tables go through too: a notebook made in the follower shows in the leader.
    await b.getByTestId('notebook-new').click();
    await b.getByTestId('notebook-name').fill('Made in tab B');
    await b.getByTestId('notebook-name').press('Enter');
    await a.bringToFront();
    await a
      .locator('[data-testid="notebook-item"]', { hasText: 'Made in tab B' })
      .waitFor({ state: 'attached', timeout: 1000 });
    await b.bringToFront();
    await b.getByTestId('notebook-all').click();
    const both = ['Written in tab A', 'Written in tab B'];
    await expect(listedTitles(a, 2)).resolves.toEqual(both);
    await expect(listedTitles(b, 2)).resolves.toEqual(both);

    // The holder closes: the other tab takes the database over and still writes.
    await a.close();
    await b
      .locator('[data-testid="tab-role"][data-role="leader"]')
      .waitFor({ state: 'attached', timeout: 15_000 });
    await writeNote(b, 'After tab A closed', 'This tab holds the database now.');
    const c = await context.newPage();
    const errorsC = watchErrors(c);
    await openApp(c, server.url);
    await shows(c, 'After tab A closed', 5000);
    await expect(listedTitles(c, 3)).resolves.toEqual([...both, 'After tab A closed'].sort());
    expect([...errorsA, ...errorsB, ...errorsC]).toEqual([]);
  }, 180_000);
});
