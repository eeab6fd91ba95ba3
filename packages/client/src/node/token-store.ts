import { mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore } from '../api.ts';

/** A TokenStore in a file only its owner can read (mode 0600); the token is never logged. */
export function fileTokenStore(path: string): TokenStore {
  return {
    async get() {
      try {
        const t = (await readFile(path, 'utf8')).trim();
        return t === '' ? null : t;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async set(token) {
      if (token === null) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, token, { mode: 0o600 });
      // writeFile's mode applies only when it creates the file.
      await chmod(path, 0o600);
    },
  };
}
