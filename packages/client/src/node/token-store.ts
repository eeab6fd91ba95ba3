import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore } from '../api.ts';

/**
 * A TokenStore in a file of its own, mode 0600 (the CLI keeps it next to its database). Written
 * to a temporary file created 0600 and renamed over the old one, so the token is never readable
 * by others, not even for a moment, and a crash never leaves half a token.
 */
export function fileTokenStore(path: string): TokenStore {
  return {
    async get() {
      try {
        const text = (await readFile(path, 'utf8')).trim();
        return text === '' ? null : text;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async set(token) {
      if (token === null) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${token}\n`, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      // The umask cannot widen 0600, but a pre-existing tmp file might have other bits.
      await chmod(tmp, 0o600);
      await rename(tmp, path);
    },
  };
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}
