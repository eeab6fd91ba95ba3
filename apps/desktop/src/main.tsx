/* @refresh reload */
import { render } from 'solid-js/web';
import { StartScreen, eraseTables, type AppShell } from '@ferry/ui';
import '@ferry/ui/styles.css';
import { boot, type Booted } from './boot.ts';
import { desktopDeviceName } from './shell/config.ts';
import { installSelfTest } from './self-test.ts';
import { createTauriDriver } from './tauri-driver.ts';

/** The shared UI's view of the Tauri shell. */
function desktopShell(b: Booted): AppShell {
  return {
    ferry: b.ferry,
    sync: b.sync,
    tokenStore: b.config.tokenStore,
    defaultServer: b.config.serverUrl,
    deviceName: desktopDeviceName(b.config.hostName),
    eraseLocalData: () => eraseTables(createTauriDriver()),
  };
}

/** Boots the shell; a failure is also left in `__ferryBootStage` for WebDriver to read. */
async function start(): Promise<AppShell> {
  const b = await boot().catch((e: unknown) => {
    window.__ferryBootStage = `failed at ${window.__ferryBootStage ?? '?'}: ${e instanceof Error ? e.message : String(e)}`;
    throw e;
  });
  if (b.config.selfTest) installSelfTest(window);
  return desktopShell(b);
}

const root = document.getElementById('root');
if (root) {
  // The static "Opening your notes…" in index.html covers the time before this script runs.
  root.textContent = '';
  render(() => <StartScreen start={start} />, root);
}
