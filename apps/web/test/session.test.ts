/**
 * The web app's session in Chromium, against the real server: it lives in an HttpOnly
 * SameSite=Strict cookie, so a reload stays signed in and syncing while no script on the page
 * can read the token; a request that carries the cookie but not the CSRF header (another
 * origin's page, or a script that does not add it) is refused; signing out clears the cookie
 * and keeps the notes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchHttp, memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import {
  FERRY_SCHEMA_VERSION,
  HlcClock,
  PROTOCOL_VERSION,
  ferrySchema,
  hlcNode,
  uuidv7,
} from '@ferry/protocol';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  PASSWORD,
  authenticate,
  listedTitles,
  newEmail,
  openApp,
  otherDeviceSees,
  watchErrors,
  writeNote,
} from './support/app-page.ts';
import { useWebApp } from './support/web-build.ts';

const app = useWebApp();

/** A valid sync request that would create a note titled `title`. */
function plantedSync(title: string): string {
  const clientId = uuidv7();
  const now = new Date().toISOString();
  return JSON.stringify({
    protocol: PROTOCOL_VERSION,
    clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations: [
      {
        seq: 1,
        table: 'notes',
        id: uuidv7(),
        op: 'upsert',
        fields: { title, content: 'planted', created_at: now, updated_at: now },
        hlc: new HlcClock(hlcNode(clientId)).now(),
        baseVersion: null,
      },
    ],
  });
}

/** The label of the account button: the email when signed in. */
async function accountLabel(page: Page, expected: string): Promise<string> {
  const button = page.getByTestId('account-open');
  for (let i = 0; i < 100; i++) {
    const label = (await button.textContent())?.trim() ?? '';
    if (label === expected) return label;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await button.textContent())?.trim() ?? '';
}

/** Another device on the account writes a note and syncs it. */
async function otherDeviceWrites(email: string, title: string): Promise<void> {
  const other = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(),
    http: fetchHttp,
  });
  try {
    await other.login(app.server.url, email, PASSWORD, 'writer');
    await other.tables.notes.create({ title, content: 'from the other device' });
    await other.sync();
  } finally {
    await other.close();
  }
}

/** Another origin on the same host (same site, so a SameSite=Strict cookie still goes along). */
async function serveElsewhere(): Promise<{ url: string; close(): Promise<void> }> {
  const other = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const { port } = other.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => other.close(() => resolve())),
  };
}

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  const cookies = await context.cookies(app.server.url);
  return cookies.find((c) => c.name === 'ferry_session')?.value;
}

describe('the web app session in Chromium', () => {
  it('survives a reload in an HttpOnly cookie the page cannot read; CSRF-less requests are refused; sign-out clears it', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const email = newEmail('session');
    await openApp(page, app.server.url);
    await authenticate(page, 'up', email);
    await writeNote(page, 'Before the reload', 'Signed up.');

    // A reload keeps the session: still signed in, and still syncing both ways.
    await page.reload();
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    expect(await accountLabel(page, email)).toBe(email);
    await writeNote(page, 'After the reload', 'Still signed in.');
    const seen = await otherDeviceSees(app.server.url, email, (notes) =>
      notes.some((n) => n.title === 'After the reload'),
    );
    expect(seen.map((n) => n.title).sort()).toEqual(['After the reload', 'Before the reload']);
    await otherDeviceWrites(email, 'From elsewhere');
    // The server's poke (the event stream, with the cookie) brings it in without a sync click;
    // the list, anchored where the reader is, offers it above.
    await page.getByTestId('new-above').click({ timeout: 30_000 });
    expect(await listedTitles(page, 3)).toEqual([
      'After the reload',
      'Before the reload',
      'From elsewhere',
    ]);

    // The token is in an HttpOnly SameSite=Strict cookie, and nowhere a script can read it.
    const cookies = await context.cookies(app.server.url);
    const session = cookies.find((c) => c.name === 'ferry_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const token = session!.value;
    expect(token).toMatch(/^[\w-]{43}$/);
    const readable = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
    }));
    expect(readable.cookie).toMatch(/ferry_csrf=/);
    expect(JSON.stringify(readable)).not.toContain(token);
    expect(errors).toEqual([]);

    // A page of another origin on the same host (same site: the cookie goes along) posts a
    // sync without the CSRF header, the way a forged form or a no-cors fetch would: refused.
    const elsewhere = await serveElsewhere();
    const evil = await context.newPage();
    await evil.goto(elsewhere.url);
    const answered = evil.waitForResponse((r) => r.url() === `${app.server.url}/v1/sync`);
    await evil.evaluate(
      async ({ url, body }) => {
        await fetch(`${url}/v1/sync`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body,
        }).catch(() => undefined);
      },
      { url: app.server.url, body: plantedSync('Planted from elsewhere') },
    );
    // 403, not 401: the cookie did go along (without it the server would not know the session).
    expect((await answered).status()).toBe(403);
    await evil.close();
    await elsewhere.close();

    // The app's own origin, without the header (a script that did not add it): refused too.
    const direct = await page.evaluate(async (body) => {
      const r = await fetch('/v1/sync', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: r.status, body: (await r.json()) as unknown };
    }, plantedSync('Planted without the header'));
    expect(direct.status).toBe(403);
    expect(direct.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(JSON.stringify(direct.body)).toContain('x-ferry-csrf');

    // Signing out revokes the session and clears the cookie; the notes stay on this device.
    await page.getByTestId('account-open').click();
    await page.getByTestId('account-signout').click();
    await page.getByTestId('account-signin').waitFor({ timeout: 30_000 });
    await page.getByTestId('account-close').click();
    expect(await sessionCookie(context)).toBeUndefined();
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/ferry_csrf=/);
    await page.reload();
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    expect(await accountLabel(page, 'Sign in')).toBe('Sign in');
    expect(await listedTitles(page, 3)).toEqual([
      'After the reload',
      'Before the reload',
      'From elsewhere',
    ]);
    const revoked = await fetch(`${app.server.url}/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoked.status).toBe(401);

    // Nothing planted reached the account.
    const final = await otherDeviceSees(app.server.url, email, (notes) => notes.length >= 3);
    expect(final.map((n) => n.title).sort()).toEqual([
      'After the reload',
      'Before the reload',
      'From elsewhere',
    ]);
    // The page's own refused fetch is the only console error.
    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
    await context.close();
  }, 180_000);

  it('signed out offline, revokes the session and clears its cookie once back online', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    const email = newEmail('offline-signout');
    await openApp(page, app.server.url);
    await authenticate(page, 'up', email);
    await writeNote(page, 'Kept after signing out', 'Written online.');
    const token = await sessionCookie(context);
    expect(token).toMatch(/^[\w-]{43}$/);
    const me = (): Promise<number> =>
      fetch(`${app.server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );

    await context.setOffline(true);
    await page.getByTestId('account-open').click();
    await page.getByTestId('account-signout').click();
    await page.getByTestId('account-signin').waitFor({ timeout: 30_000 });
    await page.getByTestId('account-close').click();
    // No script can delete an HttpOnly cookie: until the server hears the sign-out, both stay.
    expect(await sessionCookie(context)).toBe(token);
    expect(await me()).toBe(200);

    await context.setOffline(false);
    for (let i = 0; i < 150 && (await me()) !== 401; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(await me()).toBe(401);
    await expect.poll(() => sessionCookie(context), { timeout: 10_000 }).toBeUndefined();
    await page.reload();
    await page.getByTestId('app').waitFor({ timeout: 30_000 });
    expect(await accountLabel(page, 'Sign in')).toBe('Sign in');
    expect(await listedTitles(page, 1)).toEqual(['Kept after signing out']);
    await context.close();
  }, 180_000);
});
