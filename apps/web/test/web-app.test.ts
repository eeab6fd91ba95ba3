/**
 * The web app end to end in Chromium, served by the real server: it boots the shared UI over
 * SQLite on OPFS, signs up against the same-origin API, writes a note locally that reaches the
 * server (another device sees it), and after a reload the note is still there, read from the
 * browser's own database.
 */
import { fetchHttp, memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp, launchChromium, serveWebApp, type WebServer } from './support/web-build.ts';
import { ferrySchema } from '@ferry/protocol';

let server: WebServer;
let browser: Browser;

beforeAll(async () => {
  server = await serveWebApp(await buildWebApp());
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const PASSWORD = 'correct horse battery';

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe('the web app in Chromium', () => {
  it('signs up, writes a note that syncs, and keeps it across a reload', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const email = `web-${Date.now().toString(36)}@example.com`;
    const title = 'Written in the browser';

    await page.goto(`${server.url}/`);
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    await page.getByTestId('account-open').click();
    await expect(page.getByTestId('account-server').inputValue()).resolves.toBe(server.url);
    await page.getByTestId('account-email').fill(email);
    await page.getByTestId('account-password').fill(PASSWORD);
    await page.getByTestId('account-signup').click();
    await page.getByTestId('account-identity').waitFor({ timeout: 30_000 });
    await page.getByTestId('account-close').click();

    await page.getByTestId('new-note').click();
    await page.getByTestId('editor-title').fill(title);
    await page.getByTestId('editor-content').fill('Local first, then the server.');
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();

    // Another device on the same account sees it once the browser has synced.
    const other = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(':memory:'),
      tokenStore: memoryTokenStore(),
      http: fetchHttp,
    });
    try {
      await other.login(server.url, email, PASSWORD, 'test device');
      let seen: string[] = [];
      for (let i = 0; i < 100 && !seen.includes(title); i++) {
        await other.sync();
        seen = (await other.tables.notes.list()).map((n) => n.title);
        if (!seen.includes(title)) await new Promise((r) => setTimeout(r, 200));
      }
      expect(seen).toContain(title);
    } finally {
      await other.close();
    }

    await page.reload();
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    await page.getByTestId('note-item-title').first().waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('note-item-title').allTextContents()).resolves.toEqual([title]);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
