/**
 * The app's synced tables in PostgreSQL: created, or brought to the declarations when a new app
 * version starts on a database of an older one. `planSchema` (@ferry/protocol) says what may
 * change: new tables and fields are added (a default fills the stored rows), a stored table or
 * field no longer declared is refused unless a migration says how.
 */
import {
  planSchema,
  postgresAddColumnDdl,
  postgresTableDdl,
  quoteIdent as q,
  type SchemaMigration,
  type SchemaStep,
  type TableDecl,
} from '@ferry/protocol';
import type { Queryable } from './database.ts';

/** Columns of every server table besides its declared fields. */
const IMPLICIT = ['user_id', 'id', 'position', 'hlcs'];
/** The `server_meta` key listing the synced tables, as last started. */
const SYNCED_TABLES_KEY = 'synced_tables';

/** The synced tables the database has (recorded, and declared ones that exist), with their columns. */
async function storedTables(
  tx: Queryable,
  tables: readonly TableDecl[],
): Promise<Map<string, string[]>> {
  const [meta] = await tx.query<{ value: string }>('SELECT value FROM server_meta WHERE key = $1', [
    SYNCED_TABLES_KEY,
  ]);
  const recorded = JSON.parse(meta?.value ?? '[]') as string[];
  const names = [...new Set([...recorded, ...tables.map((t) => t.name)])];
  const rows = await tx.query<{ table_name: string; column_name: string }>(
    `SELECT table_name::text, column_name::text FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ANY($1::text[])
     ORDER BY table_name, ordinal_position`,
    [names],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    let cols = out.get(r.table_name);
    if (!cols) out.set(r.table_name, (cols = []));
    cols.push(r.column_name);
  }
  return out;
}

async function runStep(tx: Queryable, s: SchemaStep): Promise<void> {
  switch (s.kind) {
    case 'createTable':
      for (const stmt of postgresTableDdl(s.table)) await tx.query(stmt);
      return;
    case 'addField':
      await tx.query(postgresAddColumnDdl(s.table, s.field));
      return;
    case 'renameField':
      await tx.query(`ALTER TABLE ${q(s.table)} RENAME COLUMN ${q(s.from)} TO ${q(s.to)}`);
      // The field's last-write stamp follows it.
      await tx.query(
        `UPDATE ${q(s.table)} SET hlcs = (hlcs - $1::text) || jsonb_build_object($2::text, hlcs -> $1::text) WHERE hlcs ? $1::text`,
        [s.from, s.to],
      );
      return;
    case 'dropField':
      await tx.query(`ALTER TABLE ${q(s.table)} DROP COLUMN ${q(s.field)}`);
      await tx.query(`UPDATE ${q(s.table)} SET hlcs = hlcs - $1::text WHERE hlcs ? $1::text`, [
        s.field,
      ]);
      return;
    case 'dropTable':
      await tx.query(`DROP TABLE ${q(s.table)}`);
  }
}

/** Creates or evolves the app's tables inside the migration transaction `tx`. */
export async function migrateAppTables(
  tx: Queryable,
  tables: readonly TableDecl[],
  migrations: readonly SchemaMigration[] = [],
): Promise<void> {
  const stored = await storedTables(tx, tables);
  for (const s of planSchema(tables, stored, IMPLICIT, migrations)) await runStep(tx, s);
  // Idempotent: the position index of tables made before it was part of the DDL.
  for (const t of tables) for (const stmt of postgresTableDdl(t)) await tx.query(stmt);
  await tx.query(
    `INSERT INTO server_meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [SYNCED_TABLES_KEY, JSON.stringify(tables.map((t) => t.name))],
  );
}
