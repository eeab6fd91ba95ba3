/**
 * What the browser tests share: a build of the web app (with the checks page), the real server
 * serving it on a throwaway PostgreSQL database, and Debian's Chromium driven by playwright-core
 * (never a downloaded browser).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '@ferry/server';
import { ferrySchema } from '@ferry/protocol';
import { createTestDatabase } from '@ferry/server/testing';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';

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

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** The server with `webRoot`, on its own database. */
export async function serveWebApp(webRoot: string): Promise<WebServer> {
  const db = await createTestDatabase();
  const running = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: db.url,
    webRoot,
  });
  return {
    url: running.url,
    async close() {
      await running.close();
      await db.drop();
      rmSync(webRoot, { recursive: true, force: true });
    },
  };
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

/** What a test file shares: one build of the app, its server, and one Chromium. */
export interface WebApp {
  readonly server: WebServer;
  readonly browser: Browser;
}

/**
 * Builds and serves the app and launches Chromium before the file's tests, and closes both after
 * them. Read `server` and `browser` inside tests (they are set once `beforeAll` has run).
 */
export function useWebApp(): WebApp {
  const app = {} as { server: WebServer; browser: Browser };
  beforeAll(async () => {
    app.server = await serveWebApp(await buildWebApp());
    app.browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await app.browser?.close();
    await app.server?.close();
  });
  return app;
}
