import type { TokenStore } from './api.ts';

/** A TokenStore held in memory (tests, or a host that keeps the token elsewhere). */
export function memoryTokenStore(initial: string | null = null): TokenStore {
  let token = initial;
  return {
    get: () => Promise.resolve(token),
    set: (t) => {
      token = t;
      return Promise.resolve();
    },
  };
}
