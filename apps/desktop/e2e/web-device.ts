/**
 * The web app as a third device in the desktop app's end-to-end test (issue 10): the server this
 * test runs also serves the web app (`FERRY_WEB_ROOT`), and Debian's Chromium, driven by
 * playwright-core, signs in to the same account through the same UI.
 */
import type { Browser, Page } from 'playwright-core';
import { buildWebApp, launchChromium } from '../../web/test/support/browser.ts';
import {
  authenticate,
  listedTitles,
  openApp,
  watchErrors,
  writeNote,
} from '../../web/test/support/app-page.ts';

export { buildWebApp };

export interface WebDevice {
  /** The titles the browser lists, once it lists `count` notes. */
  titles(count: number): Promise<string[]>;
  /** Writes a note in the browser; returns its id once saved there. */
  write(title: string, content: string): Promise<string>;
  screenshot(path: string): Promise<void>;
  /** The console errors and uncaught exceptions seen so far. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Opens the web app served at `server` in a new Chromium and signs in as `email`. */
export async function openWebDevice(
  server: string,
  email: string,
  password: string,
): Promise<WebDevice> {
  const browser: Browser = await launchChromium();
  try {
    const page: Page = await (await browser.newContext()).newPage();
    const errors = watchErrors(page);
    await openApp(page, server);
    await authenticate(page, 'in', email, password);
    return {
      errors,
      titles: (count) => listedTitles(page, count),
      async write(title, content) {
        await writeNote(page, title, content);
        const id = await page.getByTestId('editor').getAttribute('data-id');
        if (!id) throw new Error('the browser saved a note without an id');
        return id;
      },
      screenshot: async (path) => void (await page.screenshot({ path })),
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
