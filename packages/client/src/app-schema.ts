/**
 * The app's tables on the device: created, or brought to the declared schema when a new app
 * version opens a database of an older one (`planSchema` in @ferry/protocol says what may
 * change). Runs inside the engine's opening transaction, after the engine's own tables.
 */
import {
  planSchema,
  sqliteAddColumnDdl,
  sqliteTableDdl,
  SYNCED_FIELD,
  type SchemaMigration,
  type SchemaStep,
  type TableDecl,
} from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { q } from './rows.ts';
import { dropSearchIndex, ensureSearchIndex } from './search-index.ts';
import { StateKey, getState, setState } from './state.ts';

/** Columns of every local table besides its declared fields. */
const IMPLICIT = ['id', SYNCED_FIELD];

/** What bringing the app's tables up to date did. */
export interface AppSchemaOutcome {
  /** Tables or fields were added to a database that had synced: the device must pull them. */
  readonly repull: boolean;
}

/** The synced tables the database has (those it recorded, and declared ones that exist), with their columns. */
async function storedTables(
  tx: SqlTx,
  tables: readonly TableDecl[],
): Promise<Map<string, string[]>> {
  const recorded = JSON.parse((await getState(tx, StateKey.syncedTables)) ?? '[]') as string[];
  const names = new Set([...recorded, ...tables.map((t) => t.name)]);
  const out = new Map<string, string[]>();
  for (const name of names) {
    const cols = await tx.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [name]);
    if (cols.length > 0)
      out.set(
        name,
        cols.map((c) => c.name),
      );
  }
  return out;
}

/** The outbox and the shadow hold field names as JSON keys: they follow a renamed or dropped field. */
async function rewriteQueued(
  tx: SqlTx,
  table: string,
  from: string,
  to: string | null,
): Promise<void> {
  const path = `$."${from}"`;
  for (const t of ['sync_queue', 'shadow']) {
    const where = 'WHERE table_name = ? AND json_type(fields, ?) IS NOT NULL';
    if (to === null)
      await tx.run(`UPDATE ${t} SET fields = json_remove(fields, ?) ${where}`, [path, table, path]);
    else
      await tx.run(
        `UPDATE ${t} SET fields = json_set(json_remove(fields, ?), ?, json_extract(fields, ?)) ${where}`,
        [path, `$."${to}"`, path, table, path],
      );
  }
}

async function runStep(tx: SqlTx, s: SchemaStep): Promise<void> {
  switch (s.kind) {
    case 'createTable':
      return tx.exec(sqliteTableDdl(s.table));
    case 'addField':
      return tx.exec(sqliteAddColumnDdl(s.table, s.field));
    case 'renameField':
      await tx.exec(`ALTER TABLE ${q(s.table)} RENAME COLUMN ${q(s.from)} TO ${q(s.to)}`);
      return rewriteQueued(tx, s.table, s.from, s.to);
    case 'dropField':
      await tx.exec(`ALTER TABLE ${q(s.table)} DROP COLUMN ${q(s.field)}`);
      return rewriteQueued(tx, s.table, s.field, null);
    case 'dropTable':
      await tx.exec(`DROP TABLE ${q(s.table)}`);
      for (const t of ['sync_queue', 'shadow'])
        await tx.run(`DELETE FROM ${t} WHERE table_name = ?`, [s.table]);
  }
}

/**
 * Creates the app's tables, or brings them to the declarations: new tables and fields are added
 * (ALTER TABLE … ADD COLUMN, a default filling stored rows), queued changes stay queued. A stored
 * table or field no longer declared throws `SchemaChangeError` unless `migrations` says how. A
 * database of a newer schema version than the app's is refused.
 */
export async function migrateAppTables(
  tx: SqlTx,
  tables: readonly TableDecl[],
  schemaVersion: number,
  migrations: readonly SchemaMigration[] = [],
): Promise<AppSchemaOutcome> {
  const stored = await storedTables(tx, tables);
  const steps = planSchema(tables, stored, IMPLICIT, migrations);
  const storedVersion = await getState(tx, StateKey.schemaVersion);
  const was = Number(storedVersion ?? '0');
  if (was > schemaVersion)
    throw new Error(
      `the local database is of app schema version ${was}, newer than this app's ${schemaVersion}: open it with a newer version of the app`,
    );
  // A trigger naming a column stops ALTER TABLE from dropping it: the index goes first, and is
  // made again over the table's new shape below.
  for (const s of steps)
    if (s.kind === 'renameField' || s.kind === 'dropField' || s.kind === 'dropTable')
      await dropSearchIndex(tx, s.table);
  for (const s of steps) await runStep(tx, s);
  for (const t of tables) await ensureSearchIndex(tx, t);
  for (const t of tables) {
    // Lists show live rows by the updatedAt timestamp, newest first, from a position (store.ts):
    // one index range, no sort, and counting the rows ahead of a position reads the index alone.
    // (It replaces an index on the timestamp alone, which made both read every row past the
    // position: see test/list-plan.test.ts.)
    const updated = t.timestamps?.updatedAt;
    if (updated !== undefined)
      await tx.exec(
        `CREATE INDEX IF NOT EXISTS ${q(`${t.name}__list`)} ON ${q(t.name)} (${q(t.deletedField)}, ${q(updated)}, id);
         DROP INDEX IF EXISTS ${q(`${t.name}_${updated}`)}`,
      );
  }
  // Written only when they change: opening an up-to-date database writes nothing (no commit to
  // sync to disk on every start of a short command).
  const synced = JSON.stringify(tables.map((t) => t.name));
  if ((await getState(tx, StateKey.syncedTables)) !== synced)
    await setState(tx, StateKey.syncedTables, synced);
  if (was !== schemaVersion || storedVersion === null)
    await setState(tx, StateKey.schemaVersion, String(schemaVersion));
  const added = steps.some((s) => s.kind === 'createTable' || s.kind === 'addField');
  return { repull: added && stored.size > 0 };
}
