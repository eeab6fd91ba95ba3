/**
 * The engine's shared driver and store checks (`@ferry/client/testing`) run inside Chromium on
 * the web app's driver: SQLite in WebAssembly on OPFS, in its worker, served by the real server
 * under the app's CSP. The same checks run on better-sqlite3 and on the Tauri bridge.
 */
import { driverChecks, storeChecks } from '@ferry/client/testing';
import { describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../src/checks.ts';
import { useWebApp } from './support/web-build.ts';

const app = useWebApp();

describe('shared checks in Chromium on the OPFS driver', () => {
  it('every driver and store check passes, with no console error', async () => {
    const page = await app.browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.server.url}/checks.html`);
    await page.waitForFunction(() => window.__ferryChecks?.done === true, null, {
      timeout: 240_000,
    });
    const result = await page.evaluate(() => window.__ferryChecks!);
    expect(result.fatal).toBeUndefined();
    const outcomes: CheckOutcome[] = result.outcomes;
    const failed = outcomes.filter((o) => o.error !== undefined);
    expect(failed).toEqual([]);
    expect(outcomes.map((o) => o.name)).toEqual([
      ...driverChecks.map((c) => c.name),
      ...storeChecks.map((c) => c.name),
    ]);
    expect(errors).toEqual([]);
  }, 300_000);
});
