import { ErrorBoundary, Show, createResource, type JSX } from 'solid-js';
import type { AppShell } from '../shell.ts';
import { App } from './App.tsx';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Shown while a shell starts. */
export function Opening(): JSX.Element {
  return (
    <p class="loading" data-testid="booting">
      Opening your notes…
    </p>
  );
}

/** Shown when a shell could not start: the reason. */
export function CouldNotStart(props: { error: unknown }): JSX.Element {
  return (
    <p class="fatal" data-testid="fatal">
      Ferry could not start: {message(props.error)}
    </p>
  );
}

/**
 * A shell's page: "Opening your notes…" until `start` has opened the engine, then the app; why
 * it could not start when `start` fails or the app throws while rendering.
 */
export function StartScreen(props: { start: () => Promise<AppShell> }): JSX.Element {
  // No source signal: the shell starts once, when the page loads.
  const [shell] = createResource(() => props.start());
  return (
    <ErrorBoundary fallback={(e: unknown) => <CouldNotStart error={e} />}>
      <Show when={shell()} fallback={<Opening />}>
        {(s) => <App shell={s()} />}
      </Show>
    </ErrorBoundary>
  );
}
