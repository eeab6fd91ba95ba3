import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

// Issue 7, item 8: the local database holds every note; it must be as private as the token (0600).

const mode = (p: string): number => statSync(p).mode & 0o777;

describe.skipIf(process.platform === 'win32')('the local database file is private', () => {
  it('a new database, its -wal and -shm are created 0600 whatever the umask allows', async () => {
    const old = process.umask(0o022);
    try {
      const path = tempDbPath();
      const f = await openFerry({
        ...ferrySchema,
        driver: await openNodeDriver(path),
        tokenStore: memoryTokenStore(),
      });
      await f.tables.notes.create({ title: 'private' });
      for (const p of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(p), p).toBe(true);
        expect(mode(p).toString(8), p).toBe('600');
      }
      await f.close();
    } finally {
      process.umask(old);
    }
  });

  it('an existing database readable by others (an older build, a copy) is tightened on open', async () => {
    const path = tempDbPath();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    db.close();
    chmodSync(path, 0o644);
    // A leftover -shm, as a crashed older build leaves it.
    writeFileSync(`${path}-shm`, '');
    chmodSync(`${path}-shm`, 0o644);
    const driver = await openNodeDriver(path);
    for (const p of [path, `${path}-wal`, `${path}-shm`])
      expect(mode(p).toString(8), p).toBe('600');
    await driver.close();
  });
});
