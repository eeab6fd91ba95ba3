/**
 * Accessibility of the web app in Chromium, against the real server: axe-core (injected into the
 * page) finds no serious or critical violation on the sign-in, list and editor views, at 1280
 * and 390 px; and every action of the main views is reachable with the keyboard alone.
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { authenticate, newEmail, openApp, watchErrors, writeNote } from './support/app-page.ts';
import { useWebApp } from './support/web-build.ts';

const app = useWebApp();

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<Finding[]> {
  // Evaluated over the DevTools protocol, which the page's CSP (no inline scripts) does not cover.
  await page.evaluate(axe.source);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return found.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

declare global {
  interface Window {
    axe: typeof axe;
  }
}

describe('the web app’s accessibility', () => {
  for (const width of [1280, 390]) {
    it(`axe finds nothing serious on the sign-in, list and editor views at ${width} px`, async () => {
      const context = await app.browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await openApp(page, app.server.url);
      await page.getByTestId('account-open').click();
      const signIn = await seriousViolations(page);
      await page.getByTestId('account-close').click();
      await authenticate(page, 'up', newEmail(`a11y${width}`));
      await writeNote(page, 'Accessible', 'Checked by axe-core.');
      const editor = await seriousViolations(page);
      if (width < 700) await page.getByTestId('back').click();
      else await page.getByTestId('search').fill('Acc');
      const list = await seriousViolations(page);
      expect({ signIn, editor, list }).toEqual({ signIn: [], editor: [], list: [] });
      expect(errors).toEqual([]);
      await context.close();
    }, 120_000);
  }

  it('reaches every action of the list and the editor with the keyboard', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await openApp(page, app.server.url);
    await writeNote(page, 'Keyboard', 'Reached with Tab.');

    // Tab through the page once, noting every control that takes the focus.
    const reached = new Set<string>();
    await page.locator('body').focus();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      if (id) reached.add(id);
    }
    const actions = [
      'sync-now',
      'account-open',
      'search',
      'new-note',
      'view-notes',
      'view-trash',
      'note-item',
      'note-notebook',
      'open-history',
      'delete-note',
      'editor-title',
      'editor-content',
    ];
    expect(actions.filter((a) => !reached.has(a))).toEqual([]);

    // And they act on Enter: a new note, then the account panel, which Escape closes.
    await page.getByTestId('new-note').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('note-item').nth(1).waitFor();
    await page.getByTestId('account-open').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('account-panel').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('account-panel').waitFor({ state: 'detached', timeout: 2000 });
    await context.close();
  }, 120_000);
});
