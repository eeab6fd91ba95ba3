/**
 * The engine's TokenStore backed by the Rust shell. The shell keeps the real token (keyring or
 * a 0600 file) and only ever gives the page a placeholder, which its HTTP command swaps for the
 * token on the way to the server that issued it.
 */
import type { TokenStore } from '@ferry/client';
import { invoke as tauriInvoke, type Invoke } from './invoke.ts';

/** A TokenStore over `token_get` / `token_set` / `token_clear`. */
export function createShellTokenStore(
  currentServer: () => string | null,
  invoke: Invoke = tauriInvoke,
): TokenStore {
  return {
    get: () => invoke<string | null>('token_get'),
    async set(token) {
      if (token === null) await invoke('token_clear');
      else await invoke('token_set', { token, origin: currentServer() });
    },
  };
}
