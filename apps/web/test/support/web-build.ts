/**
 * What the browser tests share: a build of the web app (with the checks page), the real server
 * serving it on a throwaway PostgreSQL database, and Debian's Chromium driven by playwright-core
 * (never a downloaded browser).
 */
import { rmSync } from 'node:fs';
import { createServer } from '@ferry/server';
import { ferrySchema } from '@ferry/protocol';
import { createTestDatabase } from '@ferry/server/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildWebApp, launchChromium } from './browser.ts';

export { buildWebApp, CHROMIUM, launchChromium, launchPersistent } from './browser.ts';

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
