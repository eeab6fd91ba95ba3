import type { Identity, SyncStatus } from '@ferry/client';
import { createSignal, onCleanup, onMount, Show } from 'solid-js';

export interface AccountActions {
  signUp: (server: string, email: string, password: string) => Promise<void>;
  signIn: (server: string, email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  eraseLocal: () => Promise<void>;
}

/** Server URL, sign up / in / out, and where the session is kept. */
export function AccountPanel(props: {
  status: SyncStatus;
  identity: Identity | null;
  tokenStore: string;
  defaultServer: string | null;
  actions: AccountActions;
  onClose: () => void;
}) {
  const [server, setServer] = createSignal(
    props.status.server ?? props.defaultServer ?? 'http://127.0.0.1:8787',
  );
  const [email, setEmail] = createSignal(props.identity?.email ?? '');
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [confirmErase, setConfirmErase] = createSignal(false);
  const signedIn = () => props.identity?.signedIn === true && props.status.state !== 'signed-out';
  // Keyboard: the focus moves into the panel when it opens, and Escape closes it.
  let panel: HTMLElement | undefined;
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') props.onClose();
  };
  onMount(() => {
    panel?.querySelector<HTMLElement>('input, button:not([data-testid="account-close"])')?.focus();
    window.addEventListener('keydown', onKey);
  });
  onCleanup(() => window.removeEventListener('keydown', onKey));

  const act = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      setPassword('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const submit = (kind: 'in' | 'up') => (e?: Event) => {
    e?.preventDefault();
    void act(() =>
      (kind === 'in' ? props.actions.signIn : props.actions.signUp)(
        server().trim(),
        email().trim(),
        password(),
      ),
    );
  };

  return (
    <aside ref={panel} class="panel" data-testid="account-panel" aria-label="Account">
      <header class="panel-head">
        <h2>Account</h2>
        <button
          class="ghost"
          data-testid="account-close"
          onClick={() => props.onClose()}
          aria-label="Close"
        >
          ✕
        </button>
      </header>
      <Show
        when={signedIn()}
        fallback={
          <form onSubmit={submit('in')}>
            <label>
              Server
              <input
                data-testid="account-server"
                value={server()}
                onInput={(e) => setServer(e.currentTarget.value)}
                placeholder="https://ferry.example.com"
              />
            </label>
            <label>
              Email
              <input
                data-testid="account-email"
                type="email"
                autocomplete="username"
                value={email()}
                onInput={(e) => setEmail(e.currentTarget.value)}
              />
            </label>
            <label>
              Password
              <input
                data-testid="account-password"
                type="password"
                autocomplete="current-password"
                value={password()}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
            <div class="row">
              <button type="submit" data-testid="account-signin" disabled={busy()}>
                Sign in
              </button>
              <button
                type="button"
                class="ghost"
                data-testid="account-signup"
                disabled={busy()}
                onClick={() => submit('up')()}
              >
                Create account
              </button>
            </div>
          </form>
        }
      >
        <p data-testid="account-identity">
          Signed in as <strong>{props.identity?.email}</strong>
          <br />
          <span class="muted small">{props.status.server}</span>
        </p>
        <button
          data-testid="account-signout"
          disabled={busy()}
          onClick={() => void act(() => props.actions.signOut())}
        >
          Sign out
        </button>
        <p class="muted small">Signing out keeps your notes on this device.</p>
      </Show>
      <Show when={error()}>
        <p class="error" data-testid="account-error" role="alert">
          {error()}
        </p>
      </Show>
      <p class="muted small">Session kept in: {props.tokenStore}</p>
      <Show when={!signedIn()}>
        <details class="danger-zone">
          <summary>Remove notes from this device</summary>
          <Show
            when={confirmErase()}
            fallback={
              <button class="ghost danger" onClick={() => setConfirmErase(true)}>
                Remove all local notes…
              </button>
            }
          >
            <p class="small">Notes that were never synced will be lost. This cannot be undone.</p>
            <button
              class="danger"
              data-testid="account-erase"
              disabled={busy()}
              onClick={() => void act(() => props.actions.eraseLocal())}
            >
              Remove them
            </button>
          </Show>
        </details>
      </Show>
    </aside>
  );
}
