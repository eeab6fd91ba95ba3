/* @refresh reload */
import { render } from 'solid-js/web';
import { ErrorBoundary, Show, createResource } from 'solid-js';
import { boot } from './boot.ts';
import { installSelfTest } from './self-test.ts';
import { App } from './ui/App.tsx';
import './styles.css';

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
        {(b) => <App booted={b()} />}
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
