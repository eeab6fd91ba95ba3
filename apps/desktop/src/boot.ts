/**
 * Opens everything the app needs, in order: the Rust shell's settings, the database (rolling
 * back what a reloaded page left open), the engine, and the sync triggers.
 */
import { openFerry } from '@ferry/client';
import { precompiledProtocolValidator } from '@ferry/client/precompiled';
import { ferrySchema } from '@ferry/protocol';
import { UI_PULL_LIMIT, type NotesFerry } from '@ferry/ui';
import { createShellHttp } from './shell/http.ts';
import { loadShellConfig, type ShellConfig } from './shell/config.ts';
import { createShellTokenStore } from './shell/token-store.ts';
import { startSyncTriggers, type SyncControl } from './sync-triggers.ts';
import { createTauriDriver, createTauriReader, resetAbandonedTransaction } from './tauri-driver.ts';

export interface Booted {
  ferry: NotesFerry;
  config: ShellConfig;
  sync: SyncControl;
}

declare global {
  interface Window {
    /** How far start-up got, for diagnosing a stuck start from WebDriver. */
    __ferryBootStage?: string;
  }
}

function stage(name: string): void {
  window.__ferryBootStage = name;
}

/** Starts the engine over the shell and wires every sync trigger. */
export async function boot(): Promise<Booted> {
  stage('config');
  const config = await loadShellConfig();
  stage('reset');
  await resetAbandonedTransaction();
  stage('engine');
  let server: string | null = null;
  const ferry = await openFerry({
    ...ferrySchema,
    driver: createTauriDriver(),
    // The list, search and open read here, so they never wait while a sync writes a page.
    reader: createTauriReader(),
    tokenStore: createShellTokenStore(() => server),
    http: createShellHttp(),
    pullLimit: UI_PULL_LIMIT,
    // Checks generated at build time: as fast as compiled ones, and the CSP forbids compiling.
    validator: precompiledProtocolValidator,
  });
  stage('server');
  if (ferry.status().server === null && config.serverUrl) await ferry.setServer(config.serverUrl);
  server = ferry.status().server;
  ferry.subscribe((e) => {
    if (e.type === 'status') server = e.status.server;
  });

  stage('triggers');
  const sync = await startSyncTriggers(ferry, window);
  stage('ready');
  return { ferry, config, sync };
}
