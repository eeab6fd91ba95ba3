/**
 * Offline in Chromium, against the real server: the service worker keeps the app shell, so a
 * reload with the network cut still opens the app and the notes; an edit made offline syncs once
 * the network is back (another device sees it). The API is never in the service worker's caches.
 * And the notes survive closing the browser and opening it again on the same profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  authenticate,
  ensureSignedIn,
  listedTitles,
  newEmail,
  openApp,
  otherDeviceSees,
  watchErrors,
  writeNote,
} from './support/app-page.ts';
import { launchPersistent, useWebApp } from './support/web-build.ts';

const app = useWebApp();

/** Waits until a service worker controls the page and has finished installing. */
async function controlledBySw(page: Page): Promise<void> {
  await page.waitForFunction(
    async () => {
      if (!('serviceWorker' in navigator)) return false;
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null;
    },
    null,
    { timeout: 30_000 },
  );
}

/** Every URL in the origin's Cache Storage. */
function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
}

describe('the web app offline', () => {
  it('reloads with the network off, keeps the notes, edits offline and syncs once back', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const email = newEmail('offline');
    await openApp(page, app.server.url);
    await authenticate(page, 'up', email);
    await writeNote(page, 'Before the tunnel', 'Written online.');
    await controlledBySw(page);

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    await expect(listedTitles(page, 1)).resolves.toEqual(['Before the tunnel']);

    // Edit offline: the note opens from the browser's own database and saves locally.
    await page.getByTestId('note-item').first().click();
    await page.getByTestId('editor-content').fill('Edited in the tunnel.');
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();

    await context.setOffline(false);
    await ensureSignedIn(page, email);
    const seen = await otherDeviceSees(app.server.url, email, (ns) =>
      ns.some((n) => n.content === 'Edited in the tunnel.'),
    );
    expect(seen).toEqual([{ title: 'Before the tunnel', content: 'Edited in the tunnel.' }]);

    const urls = await cachedUrls(page);
    expect(urls).toContain('/index.html');
    expect(urls.some((u) => u.endsWith('.wasm'))).toBe(true);
    expect(urls.filter((u) => u.startsWith('/v1/'))).toEqual([]);
    // Cutting the network makes the sync fail; only errors the page itself logs count.
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e))).toEqual([]);
    await context.close();
  }, 180_000);

  it('keeps the notes when the browser is closed and opened again', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'ferry-profile-'));
    try {
      let context = await launchPersistent(profile);
      let page = context.pages()[0] ?? (await context.newPage());
      await openApp(page, app.server.url);
      await writeNote(page, 'Across restarts', 'Still here after closing the browser.');
      await context.close();

      context = await launchPersistent(profile);
      page = context.pages()[0] ?? (await context.newPage());
      const errors = watchErrors(page);
      await openApp(page, app.server.url);
      await expect(listedTitles(page, 1)).resolves.toEqual(['Across restarts']);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }, 180_000);
});
