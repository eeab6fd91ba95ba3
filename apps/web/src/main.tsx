/* @refresh reload */
import { render } from 'solid-js/web';
import { ErrorBoundary, Match, Show, Switch, createSignal } from 'solid-js';
import { App, CouldNotStart, Opening, type AppShell } from '@ferry/ui';
import '@ferry/ui/styles.css';
import './web.css';
import { DEVICE_NAME, boot } from './boot.ts';
import { startTabs, type TabRole } from './tabs/election.ts';

/**
 * The page: "Opening your notes…" until this tab holds the database or follows the tab that
 * does (`tabs/election.ts`), then the app on that shell; again on the new shell when this tab
 * takes the database over.
 */
function Root() {
  const [current, setCurrent] = createSignal<{ shell: AppShell; role: TabRole } | null>(null);
  const [fatal, setFatal] = createSignal<{ error: unknown } | null>(null);
  startTabs(window, {
    lead: () => boot(window),
    show: (shell, role) => setCurrent({ shell, role }),
    fail: (error) => setFatal({ error }),
    deviceName: DEVICE_NAME,
  });
  return (
    <ErrorBoundary fallback={(e: unknown) => <CouldNotStart error={e} />}>
      <Switch fallback={<Opening />}>
        <Match when={fatal()}>{(f) => <CouldNotStart error={f().error} />}</Match>
        <Match when={current()} keyed>
          {(c) => (
            <>
              <App shell={c.shell} />
              <p class="tab-role" data-testid="tab-role" data-role={c.role} role="status">
                <Show when={c.role === 'follower'}>
                  Also open in another tab: this tab works through that one.
                </Show>
              </p>
            </>
          )}
        </Match>
      </Switch>
    </ErrorBoundary>
  );
}

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(() => <Root />, root);
}
