/**
 * A build of the web app and Debian's Chromium driven by playwright-core (never a downloaded
 * browser), without vitest: for the web app's tests (`web-build.ts`) and for the desktop app's
 * end-to-end test, where the browser is a third device.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { build } from 'vite';

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the app with checks.html into a temporary directory; returns it. */
export async function buildWebApp(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'ferry-web-'));
  process.env.FERRY_WEB_CHECKS = '1';
  process.env.FERRY_WEB_OUT_DIR = outDir;
  try {
    await build({ root: APP_DIR, configFile: join(APP_DIR, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    delete process.env.FERRY_WEB_CHECKS;
    delete process.env.FERRY_WEB_OUT_DIR;
  }
  return outDir;
}

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Chromium on a profile kept in `userDataDir` (a browser closed and opened again). */
export function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: ARGS });
}
