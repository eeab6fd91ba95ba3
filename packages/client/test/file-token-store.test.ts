/**
 * `fileTokenStore` (`@ferry/client/node`, also the CLI's): the token in a file only its owner can
 * read, replaced whole (a new file renamed over the old one), never rewritten in place.
 */
import {
  chmodSync,
  linkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenStore } from '@ferry/client/node';

describe('fileTokenStore', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ferry-token-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stores, reads and forgets a token in a 0600 file in a directory it creates', async () => {
    const path = join(dir(), 'nested', 'token');
    const store = fileTokenStore(path);
    expect(await store.get()).toBeNull();
    await store.set('t1');
    expect(await store.get()).toBe('t1');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await store.set(null);
    expect(await store.get()).toBeNull();
    await store.set(null);
  });

  it('replaces the file whole: what held the old file still holds the old token', async () => {
    const d = dir();
    const path = join(d, 'token');
    const store = fileTokenStore(path);
    await store.set('old-token');
    // A second name for the old file: a write in place would change it too.
    linkSync(path, join(d, 'old'));
    await store.set('new-token');
    expect(await store.get()).toBe('new-token');
    expect(readFileSync(join(d, 'old'), 'utf8').trim()).toBe('old-token');
  });

  it('a token file left readable by others is replaced by a 0600 one', async () => {
    const path = join(dir(), 'token');
    writeFileSync(path, 'stale');
    chmodSync(path, 0o644);
    await fileTokenStore(path).set('fresh');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
