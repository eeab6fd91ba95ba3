/**
 * The web app end to end in Chromium, served by the real server: it boots the shared UI over
 * SQLite on OPFS, signs up against the same-origin API, writes a note locally that reaches the
 * server (another device sees it), and after a reload the note is still there, read from the
 * browser's own database.
 */
import { fetchHttp, memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useWebApp } from './support/web-build.ts';
import { ferrySchema } from '@ferry/protocol';

const app = useWebApp();

const PASSWORD = 'correct horse battery';

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Makes a note with this title in the UI: waits for the new note's editor before typing. */
async function newNote(page: Page, title: string): Promise<void> {
  const before = await page
    .getByTestId('editor')
    .getAttribute('data-id', { timeout: 100 })
    .catch(() => null);
  await page.getByTestId('new-note').click();
  const editor =
    before === null
      ? '[data-testid="editor"]'
      : `[data-testid="editor"]:not([data-id="${before}"])`;
  await page.locator(editor).waitFor();
  await page.getByTestId('editor-title').fill(title);
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
}

describe('the web app in Chromium', () => {
  it('signs up, writes a note that syncs, and keeps it across a reload', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const email = `web-${Date.now().toString(36)}@example.com`;
    const title = 'Written in the browser';

    await page.goto(`${app.server.url}/`);
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    await page.getByTestId('account-open').click();
    await expect(page.getByTestId('account-server').inputValue()).resolves.toBe(app.server.url);
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
      await other.login(app.server.url, email, PASSWORD, 'test device');
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

  it('files a note in a notebook from the keyboard and filters the list by notebook', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${app.server.url}/`);
    await page.getByTestId('app').waitFor({ timeout: 30_000 });

    // A notebook: "New notebook", type its name, Enter.
    await page.getByTestId('notebook-new').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('notebook-name').waitFor();
    await page.keyboard.type('Work');
    await page.keyboard.press('Enter');
    const item = page.getByTestId('notebook-item').filter({ hasText: 'Work' });
    await item.waitFor();
    // Creating it shows it: a new note goes into it.
    await expect(item.getAttribute('aria-pressed')).resolves.toBe('true');
    await page.getByTestId('notebook-all').click();
    await newNote(page, 'Filed from the keyboard');
    await newNote(page, 'Left out');

    // Move the open note ("Left out") back out, and file the first one: the select is a plain
    // control in the editor bar, reached with Tab and changed with the arrow keys.
    await page.getByTestId('note-item').filter({ hasText: 'Filed from the keyboard' }).click();
    const select = page.getByTestId('note-notebook');
    await select.focus();
    await page.keyboard.press('ArrowDown');
    await expect(select.inputValue()).resolves.not.toBe('');
    await item.click();
    await page
      .locator('[data-testid="note-item-title"]', { hasText: 'Left out' })
      .waitFor({ state: 'detached' });
    await expect(page.getByTestId('note-item-title').allTextContents()).resolves.toEqual([
      'Filed from the keyboard',
    ]);
    await page.getByTestId('notebook-all').click();
    await page.locator('[data-testid="note-item-title"]', { hasText: 'Left out' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
