/**
 * Opens the web app: the database worker (SQLite on OPFS), the engine over it, this origin as
 * the server, and the sync triggers (start, `online`/`offline`, focus, the engine's own 30 s
 * timer, after each write, the server's poke).
 */
import { createScheduler, memoryTokenStore, openFerry } from '@ferry/client';
import { eraseTables, ferrySchema, type AppShell } from '@ferry/ui';
import { openWasmDriver } from './db/wasm-driver.ts';
import { linkWorker, startDbWorker } from './db/worker-link.ts';

/** The database file in the origin's OPFS pool. */
const DB_FILE = 'ferry.sqlite3';

export async function boot(win: Window): Promise<AppShell> {
  const link = linkWorker(startDbWorker());
  const driver = await openWasmDriver(link, DB_FILE);
  const ferry = await openFerry({
    ...ferrySchema,
    driver,
    // Not yet persisted: an HttpOnly session cookie replaces it (docs/web.md); a token in
    // localStorage would be readable by any script on the page.
    tokenStore: memoryTokenStore(),
  });
  const scheduler = createScheduler(ferry);
  const restart = (): void => {
    scheduler.stop();
    scheduler.start();
  };
  win.addEventListener('online', () => scheduler.notifyOnline());
  win.addEventListener('offline', () => scheduler.notifyOffline());
  win.addEventListener('focus', () => scheduler.notifyFocus());
  ferry.subscribe((e) => {
    if (e.type === 'status' && e.status.state !== 'signed-out' && !scheduler.active)
      scheduler.start();
  });
  if (ferry.status().state !== 'signed-out') scheduler.start();
  return {
    ferry,
    sync: { scheduler, restart },
    tokenStore: 'this tab only (signing in again after a reload)',
    defaultServer: win.location.origin,
    deviceName: 'Ferry web',
    eraseLocalData: () => eraseTables(driver),
  };
}
