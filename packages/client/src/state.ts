import type { SqlTx } from './driver.ts';

/** Keys of `app_state`, the engine's small persistent settings. */
export const StateKey = {
  clientId: 'client_id',
  cursor: 'cursor',
  hlc: 'hlc',
  serverUrl: 'server_url',
  lastSyncAt: 'last_sync_at',
  userId: 'user_id',
  userEmail: 'user_email',
  /** JSON `{ clientId: name }`: the account's device names, as last read from the server. */
  deviceNames: 'device_names',
  /** Set while a full resync (after 410) is under way, so a crash mid-way resumes it. */
  resync: 'resync',
  /** JSON list of the app's synced tables, as last opened (a table missing later was dropped). */
  syncedTables: 'synced_tables',
  /** The app schema version the database was last opened with. */
  schemaVersion: 'schema_version',
} as const;
export type StateKey = (typeof StateKey)[keyof typeof StateKey];

/** Reads one app_state value. */
export async function getState(tx: SqlTx, key: StateKey): Promise<string | null> {
  const [row] = await tx.all<{ value: string | null }>(
    'SELECT value FROM app_state WHERE key = ?',
    [key],
  );
  return row?.value ?? null;
}

/** Writes (or clears, with null) one app_state value. */
export async function setState(tx: SqlTx, key: StateKey, value: string | null): Promise<void> {
  if (value === null) await tx.run('DELETE FROM app_state WHERE key = ?', [key]);
  else
    await tx.run(
      'INSERT INTO app_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
}

/** Reads every app_state value at once. */
export async function allState(tx: SqlTx): Promise<Partial<Record<StateKey, string>>> {
  const rows = await tx.all<{ key: StateKey; value: string | null }>(
    'SELECT key, value FROM app_state',
  );
  const out: Partial<Record<StateKey, string>> = {};
  for (const r of rows) if (r.value !== null) out[r.key] = r.value;
  return out;
}
