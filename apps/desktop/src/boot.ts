/**
 * Opens everything the app needs, in order: the Rust shell's settings, the database (rolling
 * back what a reloaded page left open), the engine, and the sync triggers.
 */
import { openFerry, type Ferry } from '@ferry/client';
import { createShellHttp } from './shell/http.ts';
import { loadShellConfig, type ShellConfig } from './shell/config.ts';
import { ShellEvent, onShellEvent } from './shell/events.ts';
import { createShellTokenStore } from './shell/token-store.ts';
import { SyncScheduler, Trigger, browserEnv } from './state/scheduler.ts';
import { createTauriDriver, resetAbandonedTransaction } from './tauri-driver.ts';

export interface Booted {
  ferry: Ferry;
  config: ShellConfig;
  scheduler: SyncScheduler;
}

/** Starts the engine over the shell and wires every sync trigger. */
export async function boot(): Promise<Booted> {
  const config = await loadShellConfig();
  await resetAbandonedTransaction();
  let server: string | null = null;
  const ferry = await openFerry({
    driver: createTauriDriver(),
    tokenStore: createShellTokenStore(() => server),
    http: createShellHttp(),
  });
  if (ferry.status().server === null && config.serverUrl) await ferry.setServer(config.serverUrl);
  server = ferry.status().server;
  ferry.subscribe((e) => {
    if (e.type === 'status') server = e.status.server;
  });

  const scheduler = new SyncScheduler(ferry, browserEnv);
  ferry.subscribe((e) => {
    if (e.type === 'changed' && e.origin === 'local') scheduler.request(Trigger.change);
  });
  window.addEventListener('online', () => {
    ferry.setOffline(false);
    scheduler.request(Trigger.online);
  });
  window.addEventListener('offline', () => ferry.setOffline(true));
  window.addEventListener('focus', () => scheduler.request(Trigger.focus));
  await onShellEvent(ShellEvent.tick, () => scheduler.request(Trigger.tick));
  await onShellEvent(ShellEvent.poke, () => scheduler.request(Trigger.poke));
  scheduler.request(Trigger.start);
  return { ferry, config, scheduler };
}
