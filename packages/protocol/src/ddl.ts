import { quoteIdent as q } from './ident.ts';
import { sqlDefault } from './schema-evolution.ts';
import { SYNCED_FIELD, VERSION_FIELD, type FieldDecl, type TableDecl } from './tables.ts';

function sqliteType(f: FieldDecl): string {
  return f.type === 'integer' ? 'INTEGER' : 'TEXT';
}

function pgType(f: FieldDecl): string {
  // Timestamps stay text so they round-trip byte for byte; the server validates their format.
  if (f.type === 'integer') return 'bigint';
  if (f.type === 'uuid') return 'uuid';
  return 'text';
}

/**
 * The device's table: the declared fields plus the local `synced` flag. `version` is the last
 * server version the device has seen, 0 until the server has acknowledged the row.
 */
export function sqliteTableDdl(t: TableDecl): string {
  const cols = [`${q('id')} TEXT PRIMARY KEY`];
  for (const [name, f] of Object.entries(t.fields)) {
    if (name === VERSION_FIELD) cols.push(`${q(name)} INTEGER NOT NULL DEFAULT 0`);
    else cols.push(`${q(name)} ${sqliteType(f)}${f.nullable ? '' : ' NOT NULL'}`);
  }
  cols.push(`${q(SYNCED_FIELD)} INTEGER NOT NULL DEFAULT 0`);
  return `CREATE TABLE IF NOT EXISTS ${q(t.name)} (\n  ${cols.join(',\n  ')}\n)`;
}

/**
 * The server's table: rows keyed by (owner, id), each with its position in the owner's change
 * sequence and the HLC of every field's last write.
 */
export function postgresTableDdl(t: TableDecl): string[] {
  const cols = [`user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE`, `id uuid NOT NULL`];
  for (const [name, f] of Object.entries(t.fields)) {
    if (name === VERSION_FIELD) cols.push(`${q(name)} bigint NOT NULL DEFAULT 1`);
    else cols.push(`${q(name)} ${pgType(f)}${f.nullable ? '' : ' NOT NULL'}`);
  }
  cols.push(
    'position bigint NOT NULL',
    "hlcs jsonb NOT NULL DEFAULT '{}'::jsonb",
    'PRIMARY KEY (user_id, id)',
  );
  return [
    `CREATE TABLE IF NOT EXISTS ${q(t.name)} (\n  ${cols.join(',\n  ')}\n)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${t.name}_user_position`)} ON ${q(t.name)} (user_id, position)`,
  ];
}

/**
 * A field added to an existing table: nullable, or filled with its default in every stored row
 * (`planSchema` refuses anything else).
 */
function addColumnSuffix(f: FieldDecl): string {
  const d = sqlDefault(f);
  return `${f.nullable ? '' : ' NOT NULL'}${d === null ? '' : ` DEFAULT ${d}`}`;
}

/** `ALTER TABLE … ADD COLUMN` for a field a newer schema added to a device's table. */
export function sqliteAddColumnDdl(t: TableDecl, field: string): string {
  const f = t.fields[field]!;
  return `ALTER TABLE ${q(t.name)} ADD COLUMN ${q(field)} ${sqliteType(f)}${addColumnSuffix(f)}`;
}

/** `ALTER TABLE … ADD COLUMN` for a field a newer schema added to the server's table. */
export function postgresAddColumnDdl(t: TableDecl, field: string): string {
  const f = t.fields[field]!;
  return `ALTER TABLE ${q(t.name)} ADD COLUMN ${q(field)} ${pgType(f)}${addColumnSuffix(f)}`;
}
