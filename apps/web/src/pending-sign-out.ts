/**
 * A sign-out the server has not heard yet (docs/web.md, "Sessions"). Signed out with the network
 * off, the page forgets its session at once, but the HttpOnly cookie stays in the browser and its
 * token stays valid on the server, and no script can delete that cookie. So the page keeps the
 * session's CSRF value (an HMAC of the token, which a script could read anyway; never the token)
 * and posts the sign-out once the server answers: at the next start, when the browser is back
 * online, and before any sign-in (which would replace the cookie and strand the old token).
 */
import type { HttpFn } from '@ferry/client';
import { CSRF_HEADER } from '@ferry/protocol';

/** Where the CSRF value waits: the page's `localStorage`, or a map in a test. */
export interface PendingStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A store that lasts as long as the page: for a browser without `localStorage`, and tests. */
export function memoryStore(): PendingStore {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

export interface PendingSignOut {
  /** Keeps the session whose CSRF value is `csrf` to be signed out later. */
  remember(csrf: string): void;
  /** Posts the kept sign-out, if any. Never throws: still unreachable, it waits for a next try. */
  flush(): Promise<void>;
}

export const PENDING_SIGN_OUT_KEY = 'ferry.pendingSignOut';

/**
 * The answers after which nothing is left to sign out: done (2xx), the token already gone
 * (401), or the cookie now another session's, whose CSRF value this is not (403).
 */
function settled(status: number): boolean {
  return (status >= 200 && status < 300) || status === 401 || status === 403;
}

export function pendingSignOut(store: PendingStore, origin: string, base: HttpFn): PendingSignOut {
  let running: Promise<void> | null = null;
  const post = async (csrf: string): Promise<void> => {
    try {
      const res = await base({
        method: 'POST',
        url: `${origin}/v1/auth/logout`,
        headers: { [CSRF_HEADER]: csrf },
      });
      if (settled(res.status) && store.getItem(PENDING_SIGN_OUT_KEY) === csrf)
        store.removeItem(PENDING_SIGN_OUT_KEY);
    } catch {
      // Still offline: kept for the next start, `online` event or sign-in.
    }
  };
  return {
    remember: (csrf) => store.setItem(PENDING_SIGN_OUT_KEY, csrf),
    flush() {
      const csrf = store.getItem(PENDING_SIGN_OUT_KEY);
      if (csrf === null) return Promise.resolve();
      running ??= post(csrf).finally(() => {
        running = null;
      });
      return running;
    },
  };
}
