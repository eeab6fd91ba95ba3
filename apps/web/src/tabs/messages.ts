/**
 * What the tabs of the app say to each other on one BroadcastChannel: the tab that holds the
 * database (the leader, `leader.ts`) runs the engine; every other tab (a follower,
 * `follower.ts`) asks it to run engine calls and hears its events.
 */
import type { FerryEvent, SyncStatus } from '@ferry/client';

/** The channel's name, and the Web Lock the leader holds for as long as its tab is open. */
export const TABS_CHANNEL = 'ferry-tabs';
export const DB_LOCK = 'ferry-db';

/**
 * A call a follower forwards: a method of one of the app's tables, one of the engine, or one of the
 * shell's own (`restart`: sync now; `erase`: drop the local database). Any method the UI uses is
 * forwarded by name, so a method added to the engine needs nothing here; the leader refuses the
 * few that only make sense in the tab that holds the engine (`LOCAL_ONLY`).
 */
export type Op =
  | { kind: 'table'; table: string; name: string }
  | { kind: 'engine'; name: string }
  | { kind: 'shell'; name: 'restart' | 'erase' };

/** Engine members a follower answers itself (or, for `close`, never forwards). */
export const LOCAL_ONLY: readonly string[] = [
  'clientId',
  'status',
  'subscribe',
  'close',
  'tables',
  'table',
  'then',
  'constructor',
];

/** An error as it crosses the channel (a FerryError keeps its kind). */
export interface WireError {
  message: string;
  kind?: string;
}

export type TabMessage =
  /** A follower asks who leads; the leader answers with `hello`. */
  | { t: 'who' }
  | { t: 'call'; id: string; op: Op; args: unknown[] }
  | { t: 'hello'; leader: string; clientId: string; status: SyncStatus }
  | { t: 'reply'; id: string; ok: true; value: unknown }
  | { t: 'reply'; id: string; ok: false; error: WireError }
  | { t: 'event'; leader: string; clientId: string; event: FerryEvent }
  /** The local database was erased: every tab starts again. */
  | { t: 'reload' };
