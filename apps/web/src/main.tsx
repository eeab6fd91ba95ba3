/* @refresh reload */
import { render } from 'solid-js/web';
import { ErrorBoundary, Show, createResource } from 'solid-js';
import { App } from '@ferry/ui';
import '@ferry/ui/styles.css';
import { boot } from './boot.ts';

function Root() {
  const [shell] = createResource(() => boot(window));
  return (
    <ErrorBoundary
      fallback={(e: unknown) => (
        <p class="fatal" data-testid="fatal">
          Ferry could not start: {e instanceof Error ? e.message : String(e)}
        </p>
      )}
    >
      <Show
        when={shell()}
        fallback={
          <p class="loading" data-testid="booting">
            Opening your notes…
          </p>
        }
      >
        {(s) => <App shell={s()} />}
      </Show>
    </ErrorBoundary>
  );
}

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(() => <Root />, root);
}
