import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../src/api.ts';
import { memoryTokenStore } from '../src/index.ts';
import { openTestFerry, scriptedHttp } from './helpers.ts';

/**
 * Issue 12, item 4: a listener that starts a sync while a status event is being delivered made
 * the other listeners receive the newer status ('syncing') first and the older one last, so a
 * UI that keeps the last status it was told showed "Not synced yet" for the whole sync.
 */
describe('status events', () => {
  it('reach every listener in the order the engine changed its status', async () => {
    // A server that never answers: the sync stays in flight.
    const http = scriptedHttp(() => new Promise(() => undefined));
    const f = await openTestFerry({ http, tokenStore: memoryTokenStore('a token') });
    await f.setServer('http://127.0.0.1:9');
    f.setOffline(true);
    // A trigger (like the desktop's sync-on-online) that reacts to the status by syncing.
    f.subscribe((e) => {
      if (e.type === 'status' && e.status.state === 'idle') void f.sync().catch(() => undefined);
    });
    // The UI's copy: the last status it was told.
    let shown: SyncStatus | null = null;
    f.subscribe((e) => {
      if (e.type === 'status') shown = e.status;
    });
    f.setOffline(false);
    expect(f.status().state).toBe('syncing');
    expect(shown).toEqual(f.status());
  });
});
