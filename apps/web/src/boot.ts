/**
 * Opens the web app in the tab that holds the database (see `tabs/election.ts`): the database
 * worker (SQLite on OPFS), the engine over it, this origin as the server with the session in its
 * HttpOnly cookie, the sync triggers (start, `online`/`offline`, focus, the engine's own 30 s
 * timer, after each write, the server's poke), and the channel the other tabs forward through.
 */
import { createScheduler, openFerry } from '@ferry/client';
import { precompiledProtocolValidator } from '@ferry/client/precompiled';
import { eraseTables, ferrySchema, UI_PULL_LIMIT, type AppShell } from '@ferry/ui';
import { cookieSession } from './cookie-session.ts';
import { openWasmDriver } from './db/wasm-driver.ts';
import { linkWorker, startDbWorker } from './db/worker-link.ts';
import { serveTabs } from './tabs/leader.ts';

/** The database file in the origin's OPFS pool. */
const DB_FILE = 'ferry.sqlite3';

/** How this device names itself when signing in. */
export const DEVICE_NAME = 'Ferry web';

export async function boot(win: Window): Promise<AppShell> {
  const link = linkWorker(startDbWorker());
  const driver = await openWasmDriver(link, DB_FILE);
  // The token stays in the server's HttpOnly cookie; a token in localStorage or in memory would
  // be readable by any script on the page.
  const session = cookieSession(win.document, undefined, undefined, win.localStorage);
  void session.flushSignOut();
  const ferry = await openFerry({
    ...ferrySchema,
    driver,
    tokenStore: session.tokenStore,
    http: session.http,
    pullLimit: UI_PULL_LIMIT,
    // Checks generated at build time: as fast as compiled ones, and the CSP forbids compiling.
    validator: precompiledProtocolValidator,
  });
  const scheduler = createScheduler(ferry, { eventSource: session.eventSource });
  const restart = (): void => {
    scheduler.stop();
    scheduler.start();
  };
  win.addEventListener('online', () => {
    void session.flushSignOut();
    scheduler.notifyOnline();
  });
  win.addEventListener('offline', () => scheduler.notifyOffline());
  win.addEventListener('focus', () => scheduler.notifyFocus());
  ferry.subscribe((e) => {
    if (e.type === 'status' && e.status.state !== 'signed-out' && !scheduler.active)
      scheduler.start();
  });
  if (ferry.status().state !== 'signed-out') scheduler.start();
  const tabs = serveTabs(ferry, {
    restart,
    async erase() {
      scheduler.stop();
      await ferry.close();
      await eraseTables(driver);
    },
  });
  return {
    ferry,
    sync: { scheduler, restart },
    tokenStore: 'a cookie of this site that page scripts cannot read',
    defaultServer: win.location.origin,
    deviceName: DEVICE_NAME,
    async eraseLocalData() {
      await eraseTables(driver);
      tabs.reloadOthers();
    },
  };
}
