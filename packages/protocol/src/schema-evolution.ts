/**
 * Schema evolution: what a new app version may change in its table declarations while devices
 * of older versions are still offline with queued changes, and how a database catches up.
 *
 * Allowed without a migration: a new table, a new field that is nullable or has a default (both
 * declared with the schema version they appeared in, `since`), a field's new merge policy
 * (`mergeSince`). A field or table that is in the database but no longer declared (dropped or
 * renamed) is refused, naming the table and the field, unless a `SchemaMigration` says how.
 * The device's engine and the server plan their changes here and write their own DDL.
 */
import { TableDeclError } from './check-tables.ts';
import { MergePolicy, servedTo, type FieldDecl, type TableDecl } from './tables.ts';

/** How a dropped or renamed field or table is carried over (the app's `migrations`). */
export type SchemaMigration =
  | { readonly table: string; readonly dropField: string }
  | { readonly table: string; readonly renameField: { readonly from: string; readonly to: string } }
  | { readonly dropTable: string };

/** The first schema version that knows field `name` of `t`. */
export function fieldSince(t: TableDecl, name: string): number {
  return t.fields[name]?.since ?? t.sinceSchemaVersion ?? 1;
}

/**
 * The tables as a client of `schemaVersion` declared them: the tables it knows, each with the
 * fields it knows, and the merge policies it knows. The server reads and writes rows through the
 * full declarations and answers a client through these.
 */
export function tablesAt(tables: readonly TableDecl[], schemaVersion: number): TableDecl[] {
  const out: TableDecl[] = [];
  for (const t of tables) {
    if (!servedTo(t, schemaVersion)) continue;
    const fields: Record<string, FieldDecl> = {};
    let changed = false;
    for (const [name, f] of Object.entries(t.fields)) {
      if (fieldSince(t, name) > schemaVersion) {
        changed = true;
        continue;
      }
      if (
        f.merge !== undefined &&
        f.merge !== MergePolicy.lww &&
        (f.mergeSince ?? 1) > schemaVersion
      ) {
        const { merge: _m, mergeSince: _s, ...rest } = f;
        fields[name] = rest;
        changed = true;
      } else fields[name] = f;
    }
    out.push(
      changed
        ? { ...t, fields, searchFields: t.searchFields.filter((s) => Object.hasOwn(fields, s)) }
        : t,
    );
  }
  return out;
}

/** A stored table or field the declarations no longer have, and no migration carries over. */
export class SchemaChangeError extends TableDeclError {
  constructor(table: string, field: string | null) {
    super(
      table,
      field,
      field === null
        ? `is in the database but no longer declared: dropping or renaming a table needs a migration ({ dropTable: ${JSON.stringify(table)} })`
        : `is in the database but no longer declared: dropping or renaming a field needs a migration ({ table: ${JSON.stringify(table)}, dropField: ${JSON.stringify(field)} } or { table, renameField: { from: ${JSON.stringify(field)}, to } })`,
    );
    this.name = 'SchemaChangeError';
  }
}

/** One step that brings a stored schema to the declared one, in order. */
export type SchemaStep =
  | { readonly kind: 'createTable'; readonly table: TableDecl }
  | { readonly kind: 'addField'; readonly table: TableDecl; readonly field: string }
  | {
      readonly kind: 'renameField';
      readonly table: string;
      readonly from: string;
      readonly to: string;
    }
  | { readonly kind: 'dropField'; readonly table: string; readonly field: string }
  | { readonly kind: 'dropTable'; readonly table: string };

/**
 * The steps from the stored tables (`stored`: each synced table the database has, with its
 * columns) to the declared ones. `implicit` are the columns every table has besides its declared
 * fields (`id`, the device's `synced`, the server's owner and position). Throws
 * `SchemaChangeError` for a stored table or field that is not declared and no migration names.
 */
export function planSchema(
  tables: readonly TableDecl[],
  stored: ReadonlyMap<string, readonly string[]>,
  implicit: readonly string[],
  migrations: readonly SchemaMigration[] = [],
): SchemaStep[] {
  const cols = new Map([...stored].map(([t, c]) => [t, new Set(c)]));
  const steps: SchemaStep[] = [];
  for (const m of migrations) {
    if ('dropTable' in m) {
      if (cols.delete(m.dropTable)) steps.push({ kind: 'dropTable', table: m.dropTable });
      continue;
    }
    const c = cols.get(m.table);
    if (c === undefined) continue;
    if ('dropField' in m) {
      if (c.delete(m.dropField))
        steps.push({ kind: 'dropField', table: m.table, field: m.dropField });
    } else if (c.has(m.renameField.from) && !c.has(m.renameField.to)) {
      c.delete(m.renameField.from);
      c.add(m.renameField.to);
      steps.push({ kind: 'renameField', table: m.table, ...m.renameField });
    }
  }
  // Fields of declared tables first: a field left behind says more than a whole table.
  for (const t of tables) {
    const c = cols.get(t.name);
    if (c === undefined) {
      steps.push({ kind: 'createTable', table: t });
      continue;
    }
    for (const col of c)
      if (!implicit.includes(col) && !Object.hasOwn(t.fields, col))
        throw new SchemaChangeError(t.name, col);
    for (const [field, f] of Object.entries(t.fields)) {
      if (c.has(field)) continue;
      if (!f.nullable && f.default === undefined)
        throw new TableDeclError(
          t.name,
          field,
          'is not in the database and has no default: a field added to a table must be nullable or have one',
        );
      steps.push({ kind: 'addField', table: t, field });
    }
  }
  const declared = new Set(tables.map((t) => t.name));
  for (const name of cols.keys()) if (!declared.has(name)) throw new SchemaChangeError(name, null);
  return steps;
}

/** A field's default as an SQL literal (the same text in SQLite and PostgreSQL). */
export function sqlDefault(f: FieldDecl): string | null {
  const v = f.default;
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`default ${v} is not an integer`);
    return String(v);
  }
  return `'${v.replaceAll("'", "''")}'`;
}
