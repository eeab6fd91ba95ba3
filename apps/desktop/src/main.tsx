/* @refresh reload */
import { render } from 'solid-js/web';
import { ErrorBoundary, Show, createResource } from 'solid-js';
import { boot, type Booted } from './boot.ts';
import { installSelfTest } from './self-test.ts';
import { App, eraseTables, type AppShell } from '@ferry/ui';
import '@ferry/ui/styles.css';
import { createTauriDriver } from './tauri-driver.ts';

/** The shared UI's view of the Tauri shell. */
function desktopShell(b: Booted): AppShell {
  return {
    ferry: b.ferry,
    sync: b.sync,
    tokenStore: b.config.tokenStore,
    defaultServer: b.config.serverUrl,
    deviceName: 'Ferry desktop',
    eraseLocalData: () => eraseTables(createTauriDriver()),
  };
}

function Root() {
  const [booted] = createResource(async () => {
    const b = await boot().catch((e: unknown) => {
      window.__ferryBootStage = `failed at ${window.__ferryBootStage ?? '?'}: ${e instanceof Error ? e.message : String(e)}`;
      throw e;
    });
    if (b.config.selfTest) installSelfTest(window);
    return b;
  });
  return (
    <ErrorBoundary
      fallback={(e: unknown) => (
        <p class="fatal" data-testid="fatal">
          Ferry could not start: {e instanceof Error ? e.message : String(e)}
        </p>
      )}
    >
      <Show
        when={booted()}
        fallback={
          <p class="loading" data-testid="booting">
            Opening your notes…
          </p>
        }
      >
        {(b) => <App shell={desktopShell(b())} />}
      </Show>
    </ErrorBoundary>
  );
}

const root = document.getElementById('root');
if (root) {
  // The static "Opening your notes…" in index.html covers the time before this script runs.
  root.textContent = '';
  render(() => <Root />, root);
}
