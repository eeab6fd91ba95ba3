/**
 * What the always-visible sync indicator says, decided from the engine's status alone so the
 * component stays a plain view and the wording is unit-tested.
 */
import type { SyncStatus } from '@ferry/client';

/** The indicator's look: one of these is also its `data-state` for the end-to-end test. */
export const Tone = {
  offline: 'offline',
  syncing: 'syncing',
  pending: 'pending',
  synced: 'synced',
  error: 'error',
  signedOut: 'signed-out',
} as const;
export type Tone = (typeof Tone)[keyof typeof Tone];

export interface SyncLabel {
  tone: Tone;
  text: string;
  /** Longer explanation (tooltip). */
  detail: string;
}

/** HH:MM in the user's local time. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** 12 400: digits in groups of three, a narrow no-break space between groups. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** "Syncing… 12 400 of 100 000 notes" from the engine's progress (rows of any table; notes here). */
function syncingText(s: SyncStatus): string {
  const p = s.progress;
  if (!p || p.pulled === 0) return 'Syncing…';
  if (p.total === null) return `Syncing… ${groupDigits(p.pulled)} notes`;
  return `Syncing… ${groupDigits(p.pulled)} of ${groupDigits(p.total)} notes`;
}

function pendingText(n: number): string {
  return n === 1 ? '1 change pending' : `${n} changes pending`;
}

/** Maps a status to the indicator's text and tone. */
export function describeSync(s: SyncStatus): SyncLabel {
  const waiting = s.pending > 0 ? ` · ${pendingText(s.pending)}` : '';
  switch (s.state) {
    case 'signed-out':
      return {
        tone: Tone.signedOut,
        text: s.pending > 0 ? `Not signed in${waiting}` : 'Not signed in',
        detail: 'Notes are saved on this device. Sign in to sync them.',
      };
    case 'syncing':
      return {
        tone: Tone.syncing,
        text: `${syncingText(s)}${waiting}`,
        detail: s.server ? `Talking to ${s.server}` : 'Syncing',
      };
    case 'offline':
      return {
        tone: Tone.offline,
        text: `Offline${waiting}`,
        detail: `${s.lastError?.message ?? 'The server cannot be reached.'} Changes are kept on this device and sent when it is back.`,
      };
    case 'error':
      return {
        tone: Tone.error,
        text: `Sync error: ${s.lastError?.code ?? 'unknown'}`,
        detail: s.lastError?.message ?? 'Sync failed.',
      };
    case 'idle':
      if (s.pending > 0)
        return {
          tone: Tone.pending,
          text: pendingText(s.pending),
          detail: 'Waiting to send these changes.',
        };
      if (s.lastSyncAt)
        return {
          tone: Tone.synced,
          text: `Synced at ${clockTime(s.lastSyncAt)}`,
          detail: `Up to date with ${s.server ?? 'the server'}`,
        };
      return {
        tone: Tone.pending,
        text: 'Not synced yet',
        detail: 'The first sync has not finished yet.',
      };
  }
}
