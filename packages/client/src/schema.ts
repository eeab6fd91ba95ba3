import type { SqlTx } from './driver.ts';
import { TEXT_BASE_DDL } from './text-base.ts';

/**
 * Local schema version, stored in `PRAGMA user_version`. Bump with a new step in `migrate`.
 * - 2: the outbox's `base_seq` and `text_version`, and `text_base` (text merge).
 */
export const LOCAL_SCHEMA_VERSION = 2;

/**
 * The engine's own tables. `sync_queue` is the outbox: one row per local mutation, in `seq`
 * order; `seq` is AUTOINCREMENT so a cleared seq is never handed out again (the server skips
 * seqs it has seen). `shadow` keeps the server's values of fields a pending local change
 * overrides, so they can be put back if that change loses (superseded or rejected).
 */
const engineDdl = `
CREATE TABLE IF NOT EXISTS sync_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('upsert', 'delete')),
  fields TEXT NOT NULL,
  hlc TEXT NOT NULL,
  base_version INTEGER,
  base_seq INTEGER,
  text_version INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_queue_record ON sync_queue (table_name, record_id);
CREATE TABLE IF NOT EXISTS app_state (
  key TEXT PRIMARY KEY,
  value TEXT
);
CREATE TABLE IF NOT EXISTS conflicts (
  id TEXT PRIMARY KEY,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  mine TEXT NOT NULL,
  theirs TEXT,
  detected_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_record ON conflicts (table_name, record_id);
CREATE TABLE IF NOT EXISTS rejected_changes (
  id TEXT PRIMARY KEY,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  fields TEXT NOT NULL,
  hlc TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  rejected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resync_seen (
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  PRIMARY KEY (table_name, record_id)
);
CREATE TABLE IF NOT EXISTS shadow (
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  fields TEXT NOT NULL,
  PRIMARY KEY (table_name, record_id)
);
`;

/** The engine's own local tables: an app may not declare a table by one of these names. */
export const LOCAL_ENGINE_TABLES: readonly string[] = [
  'sync_queue',
  'app_state',
  'conflicts',
  'rejected_changes',
  'resync_seen',
  'shadow',
  'text_base',
];

/**
 * Creates or upgrades the engine's own local tables inside `tx`; safe to run on every open. The
 * app's tables are `migrateAppTables`'s (app-schema.ts).
 */
export async function migrate(tx: SqlTx): Promise<void> {
  const [row] = await tx.all<{ user_version: number }>('PRAGMA user_version');
  const current = row?.user_version ?? 0;
  if (current > LOCAL_SCHEMA_VERSION) {
    throw new Error(
      `local database schema ${current} is newer than this Ferry (${LOCAL_SCHEMA_VERSION})`,
    );
  }
  // A database made by an older build: its tables gain what later versions added.
  if (current >= 1 && current < 2) {
    await tx.exec('ALTER TABLE sync_queue ADD COLUMN base_seq INTEGER');
    await tx.exec('ALTER TABLE sync_queue ADD COLUMN text_version INTEGER');
  }
  await tx.exec(engineDdl);
  await tx.exec(TEXT_BASE_DDL);
  if (current < LOCAL_SCHEMA_VERSION)
    await tx.exec(`PRAGMA user_version = ${LOCAL_SCHEMA_VERSION}`);
}
