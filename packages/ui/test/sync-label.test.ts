import type { SyncStatus } from '@ferry/client';
import { describe, expect, it } from 'vitest';
import { clockTime, describeSync, Tone } from '../src/state/sync-label.ts';

const base: SyncStatus = {
  state: 'idle',
  pending: 0,
  lastSyncAt: null,
  lastError: null,
  server: 'http://127.0.0.1:8787',
  progress: null,
};
const at = new Date(2026, 10, 24, 9, 5).toISOString();

describe('the sync indicator', () => {
  it.each([
    [{ state: 'signed-out' }, Tone.signedOut, 'Not signed in'],
    [{ state: 'signed-out', pending: 2 }, Tone.signedOut, 'Not signed in · 2 changes pending'],
    [{ state: 'syncing' }, Tone.syncing, 'Syncing…'],
    [
      { state: 'syncing', progress: { pulled: 12400, total: 100000 } },
      Tone.syncing,
      'Syncing… 12\u202f400 of 100\u202f000 notes',
    ],
    [
      { state: 'syncing', progress: { pulled: 1000, total: null } },
      Tone.syncing,
      'Syncing… 1\u202f000 notes',
    ],
    [{ state: 'syncing', progress: { pulled: 0, total: 0 } }, Tone.syncing, 'Syncing…'],
    [{ state: 'syncing', pending: 1 }, Tone.syncing, 'Syncing… · 1 change pending'],
    [
      { state: 'offline', pending: 1, lastError: { code: 'network', message: 'cannot reach' } },
      Tone.offline,
      'Offline · 1 change pending',
    ],
    [{ state: 'offline' }, Tone.offline, 'Offline'],
    [
      { state: 'error', lastError: { code: 'forbidden', message: 'clientId of another user' } },
      Tone.error,
      'Sync error: forbidden',
    ],
    [{ state: 'idle', pending: 3 }, Tone.pending, '3 changes pending'],
    [{ state: 'idle', lastSyncAt: at }, Tone.synced, 'Synced at 09:05'],
    [{ state: 'idle' }, Tone.pending, 'Not synced yet'],
  ] as const)('%o → %s "%s"', (patch, tone, text) => {
    const label = describeSync({ ...base, ...patch });
    expect(label.tone).toBe(tone);
    expect(label.text).toBe(text);
    expect(label.detail.length).toBeGreaterThan(0);
  });

  it('explains an error with its reason', () => {
    const label = describeSync({
      ...base,
      state: 'error',
      lastError: { code: 'upgrade_required', message: 'this app is too old for the server' },
    });
    expect(label.detail).toBe('this app is too old for the server');
  });

  it('formats HH:MM in local time', () => {
    expect(clockTime(new Date(2026, 0, 1, 23, 7).toISOString())).toBe('23:07');
  });
});
