/**
 * What the web app's Chromium tests do on a page: watch the console, sign up or in through the
 * account panel, write a note, and check what another device on the account sees.
 */
import { fetchHttp, memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { ferrySchema } from '@ferry/protocol';
import type { Page } from 'playwright-core';

export const PASSWORD = 'correct horse battery';

/** A fresh account's email. */
export function newEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com`;
}

/** Collects the page's console errors and uncaught exceptions. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Opens the app at `url` and waits for it to have started. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByTestId('app').waitFor({ timeout: 30_000 });
}

/** Signs up (`up`) or in through the account panel and closes it. */
export async function authenticate(
  page: Page,
  how: 'up' | 'in',
  email: string,
  password = PASSWORD,
): Promise<void> {
  await page.getByTestId('account-open').click();
  await page.getByTestId('account-email').fill(email);
  await page.getByTestId('account-password').fill(password);
  await page.getByTestId(how === 'up' ? 'account-signup' : 'account-signin').click();
  await page.getByTestId('account-identity').waitFor({ timeout: 30_000 });
  await page.getByTestId('account-close').click();
}

/** Signs in unless the page already is (a session kept across reloads). */
export async function ensureSignedIn(page: Page, email: string): Promise<void> {
  const label = await page.getByTestId('account-open').textContent();
  if (label?.trim() !== email) await authenticate(page, 'in', email);
}

/**
 * Creates a note with the New button and waits for the editor to have saved it. On a narrow
 * screen the editor hides the list: Back first.
 */
export async function writeNote(page: Page, title: string, content: string): Promise<void> {
  if (!(await page.getByTestId('new-note').isVisible())) await page.getByTestId('back').click();
  // On a wide screen the previous note's editor is still there until the new one opens.
  const editor = page.getByTestId('editor');
  const before = (await editor.count()) > 0 ? await editor.getAttribute('data-id') : null;
  await page.getByTestId('new-note').click();
  await page
    .locator(`[data-testid="editor"]${before ? `:not([data-id="${before}"])` : ''}`)
    .waitFor();
  await page.getByTestId('editor-title').fill(title);
  await page.getByTestId('editor-content').fill(content);
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
}

/** The titles in the list (shown or, on a narrow screen, behind the editor), once it has `count`. */
export async function listedTitles(page: Page, count: number): Promise<string[]> {
  await page
    .getByTestId('note-item-title')
    .nth(count - 1)
    .waitFor({ state: 'attached', timeout: 30_000 });
  return (await page.getByTestId('note-item-title').allTextContents()).sort();
}

/**
 * Another device on the account (the engine in Node, in memory): syncs until `done` holds for
 * its notes or 20 s pass; returns the notes it last saw.
 */
export async function otherDeviceSees(
  url: string,
  email: string,
  done: (notes: { title: string; content: string }[]) => boolean,
): Promise<{ title: string; content: string }[]> {
  const other = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(),
    http: fetchHttp,
  });
  try {
    await other.login(url, email, PASSWORD, 'test device');
    let seen: { title: string; content: string }[] = [];
    for (let i = 0; i < 100; i++) {
      await other.sync();
      seen = await other.tables.notes.list();
      if (done(seen)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return seen.map((n) => ({ title: n.title, content: n.content }));
  } finally {
    await other.close();
  }
}
