/**
 * The web app's views in Chromium, against the real server: it is installable (manifest, icons,
 * service worker: Chromium's own installability check), usable from 360 px wide up (one pane at
 * a time, touch targets of 44 px, no sideways scrolling), and screenshots of the main states at
 * 1280 and 390 px go to artifacts/web/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  listedTitles,
  newEmail,
  openApp,
  watchErrors,
  writeNote,
} from './support/app-page.ts';
import {
  buildWebApp,
  launchChromium,
  launchPersistent,
  serveWebApp,
  type WebServer,
} from './support/web-build.ts';

const ARTIFACTS =
  process.env.FERRY_WEB_ARTIFACTS ??
  fileURLToPath(new URL('../../../artifacts/web/', import.meta.url));

let server: WebServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveWebApp(await buildWebApp());
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A page of `width` × `height`, signed up to a new account with three notes. */
async function appWithNotes(width: number, height: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await openApp(page, server.url);
  return page;
}

async function addNotes(page: Page): Promise<void> {
  await writeNote(page, 'Groceries', 'Oat milk, lemons, rye bread, coffee beans.');
  await writeNote(page, 'Ferry timetable', 'Weekdays 07:10 and 17:40; Sundays 10:00 only.');
  await writeNote(page, 'Ideas', 'A notes app that works on the ferry, where there is no signal.');
  await expect(listedTitles(page, 3)).resolves.toEqual(['Ferry timetable', 'Groceries', 'Ideas']);
  await page.locator('[data-testid="sync-indicator"][data-state="synced"]').waitFor();
}

/** The elements matching `testId` that are shown, with their size. */
function boxes(page: Page, testId: string): Promise<{ w: number; h: number }[]> {
  return page.getByTestId(testId).evaluateAll((els) =>
    els
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => ({ w: r.width, h: r.height })),
  );
}

async function expectTouchable(page: Page, testId: string): Promise<void> {
  const shown = await boxes(page, testId);
  expect(shown.length, `${testId} is shown`).toBeGreaterThan(0);
  for (const b of shown)
    expect(Math.min(b.w, b.h), `${testId} is 44 px or more`).toBeGreaterThanOrEqual(44);
}

async function noSidewaysScroll(page: Page, width: number): Promise<void> {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(width);
}

describe('the web app views', () => {
  it('is installable: manifest, icons and service worker pass Chromium’s check', async () => {
    // A profile on disk: Chromium installs nothing from an incognito context.
    const profile = mkdtempSync(join(tmpdir(), 'ferry-profile-'));
    const context = await launchPersistent(profile);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = watchErrors(page);
    await openApp(page, server.url);
    await page.waitForFunction(
      async () => {
        await navigator.serviceWorker.ready;
        return navigator.serviceWorker.controller !== null;
      },
      null,
      { timeout: 30_000 },
    );
    const cdp = await page.context().newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as {
      url: string;
      errors: unknown[];
      data?: string;
    };
    expect(manifest.url).toBe(`${server.url}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    const data = JSON.parse(manifest.data ?? '{}') as { name?: string; display?: string };
    expect(data).toMatchObject({ name: 'Ferry', display: 'standalone' });
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(installabilityErrors).toEqual([]);
    const icon = await page.request.get(`${server.url}/icon-192.png`);
    expect(icon.headers()['content-type']).toBe('image/png');
    expect(errors).toEqual([]);
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }, 120_000);

  it('at 1280 px shows the list and the editor side by side', async () => {
    const page = await appWithNotes(1280, 800);
    await shoot(page, 'web-1280-empty');
    await authenticate(page, 'up', newEmail('wide'));
    await addNotes(page);
    await noSidewaysScroll(page, 1280);
    await expect(page.getByTestId('note-list').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('editor').isVisible()).resolves.toBe(true);
    await shoot(page, 'web-1280-editor');
    await page.getByTestId('account-open').click();
    await shoot(page, 'web-1280-account');
    await page.context().close();
  }, 120_000);

  for (const width of [360, 390]) {
    it(`at ${width} px shows one pane at a time with touch-sized targets`, async () => {
      const page = await appWithNotes(width, 780);
      const errors = watchErrors(page);
      await noSidewaysScroll(page, width);
      await page.getByTestId('account-open').click();
      await noSidewaysScroll(page, width);
      if (width === 390) await shoot(page, 'web-390-account');
      await page.getByTestId('account-close').click();
      await authenticate(page, 'up', newEmail(`narrow${width}`));
      await addNotes(page);

      // The editor of the new note is open, the list hidden; Back returns to the list.
      await expect(page.getByTestId('editor').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('note-list').isVisible()).resolves.toBe(false);
      await noSidewaysScroll(page, width);
      if (width === 390) await shoot(page, 'web-390-editor');
      for (const id of ['back', 'note-notebook', 'open-history', 'delete-note'])
        await expectTouchable(page, id);
      await page.getByTestId('back').click();
      await expect(page.getByTestId('note-list').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('editor-title').isVisible()).resolves.toBe(false);
      await noSidewaysScroll(page, width);
      if (width === 390) await shoot(page, 'web-390-list');
      for (const id of [
        'new-note',
        'account-open',
        'note-item',
        'search',
        'view-notes',
        'view-trash',
      ])
        await expectTouchable(page, id);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 120_000);
  }
});
