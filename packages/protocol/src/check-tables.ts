/**
 * The start-up check of table declarations, run by `defineTable`, by the engine when it opens and
 * by the server when it starts: a declaration the engine cannot sync fails there, with a message
 * naming the table and the field, never later as a failing sync.
 */
import { ENGINE_SYNCED_TABLES } from './engine-tables.ts';
import { IDENT_PATTERN } from './ident.ts';
import { ConflictPolicy, FieldType, MergePolicy, VERSION_FIELD, type TableDecl } from './tables.ts';

/** A table declaration the engine cannot sync. */
export class TableDeclError extends Error {
  constructor(
    readonly table: string,
    readonly field: string | null,
    problem: string,
  ) {
    super(`table "${table}"${field === null ? '' : `, field "${field}"`}: ${problem}`);
    this.name = 'TableDeclError';
  }
}

/** PostgreSQL's limit is 63 bytes; a table name leaves room for its index names' suffixes. */
const MAX_TABLE_NAME = 48;
const MAX_FIELD_NAME = 63;
/** Columns every table has besides its declared fields, locally or on the server. */
const IMPLICIT_COLUMNS = ['id', 'synced', 'user_id', 'position', 'hlcs'];
const FIELD_TYPES: ReadonlySet<string> = new Set(Object.values(FieldType));
const POLICIES: ReadonlySet<string> = new Set(Object.values(ConflictPolicy));
const MERGES: ReadonlySet<string> = new Set(Object.values(MergePolicy));

function isPositiveInt(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

function checkName(table: string, field: string | null, name: string, max: number): void {
  if (!IDENT_PATTERN.test(name))
    throw new TableDeclError(
      table,
      field,
      `${JSON.stringify(name)} is not a valid SQL identifier (lowercase letters, digits and _, not starting with a digit)`,
    );
  if (name.length > max) throw new TableDeclError(table, field, `is longer than ${max} characters`);
}

/** The fields every synced table needs: `version`, and a soft-delete field. */
function checkRequiredFields(t: TableDecl): void {
  const version = Object.hasOwn(t.fields, VERSION_FIELD) ? t.fields[VERSION_FIELD] : undefined;
  if (!version)
    throw new TableDeclError(
      t.name,
      VERSION_FIELD,
      'is missing: every synced table needs the server-written integer "version" (declare tables with defineTable, which adds it)',
    );
  if (version.type !== FieldType.integer || version.writtenBy !== 'server' || version.nullable)
    throw new TableDeclError(
      t.name,
      VERSION_FIELD,
      'must be a non-null integer written by the server',
    );
  const deleted = Object.hasOwn(t.fields, t.deletedField) ? t.fields[t.deletedField] : undefined;
  if (!deleted)
    throw new TableDeclError(
      t.name,
      t.deletedField,
      'is the soft-delete field but is not declared',
    );
  if (deleted.type !== FieldType.timestamp || !deleted.nullable || deleted.writtenBy !== 'client')
    throw new TableDeclError(
      t.name,
      t.deletedField,
      'the soft-delete field must be a nullable timestamp written by the client',
    );
  const roles = [
    ['createdAt', t.timestamps?.createdAt],
    ['updatedAt', t.timestamps?.updatedAt],
  ] as const;
  for (const [role, name] of roles) {
    if (name === undefined) continue;
    const f = Object.hasOwn(t.fields, name) ? t.fields[name] : undefined;
    if (!f) throw new TableDeclError(t.name, name, `is the ${role} timestamp but is not declared`);
    if (f.type !== FieldType.timestamp || f.nullable || f.writtenBy !== 'client')
      throw new TableDeclError(
        t.name,
        name,
        `the ${role} timestamp must be a non-null timestamp written by the client`,
      );
  }
}

/** One field's own rules: its name, type, limits, merge policy and versions. */
function checkField(t: TableDecl, name: string): void {
  const f = t.fields[name]!;
  checkName(t.name, name, name, MAX_FIELD_NAME);
  if (IMPLICIT_COLUMNS.includes(name))
    throw new TableDeclError(
      t.name,
      name,
      'is a column every table already has; choose another name',
    );
  if (!FIELD_TYPES.has(f.type))
    throw new TableDeclError(
      t.name,
      name,
      `has unknown type ${JSON.stringify(f.type)} (one of ${[...FIELD_TYPES].join(', ')})`,
    );
  if (f.writtenBy !== 'client' && f.writtenBy !== 'server')
    throw new TableDeclError(t.name, name, 'writtenBy must be "client" or "server"');
  for (const limit of ['maxChars', 'maxBytes'] as const) {
    if (f[limit] === undefined) continue;
    if (f.type !== FieldType.text)
      throw new TableDeclError(t.name, name, `${limit} applies to text fields only, not ${f.type}`);
    if (!isPositiveInt(f[limit]))
      throw new TableDeclError(t.name, name, `${limit} must be a positive integer`);
  }
  if (f.merge !== undefined) {
    if (!MERGES.has(f.merge))
      throw new TableDeclError(t.name, name, `has unknown merge policy ${JSON.stringify(f.merge)}`);
    if (f.merge === MergePolicy.text && f.type !== FieldType.text)
      throw new TableDeclError(t.name, name, `merge "text" needs a text field, not ${f.type}`);
  }
  for (const v of ['since', 'mergeSince'] as const) {
    if (f[v] !== undefined && !isPositiveInt(f[v]))
      throw new TableDeclError(t.name, name, `${v} must be a schema version (an integer ≥ 1)`);
  }
  if (f.since !== undefined && t.sinceSchemaVersion !== undefined && f.since < t.sinceSchemaVersion)
    throw new TableDeclError(
      t.name,
      name,
      `since ${f.since} is before its table's (${t.sinceSchemaVersion})`,
    );
  if (f.default !== undefined && f.writtenBy !== 'client')
    throw new TableDeclError(t.name, name, 'a server-written field cannot have a default');
  if (
    f.default !== undefined &&
    f.default !== null &&
    typeof f.default !== (f.type === 'integer' ? 'number' : 'string')
  )
    throw new TableDeclError(
      t.name,
      name,
      `default ${JSON.stringify(f.default)} is not a ${f.type}`,
    );
  // Rows stored before the field existed, and rows older clients create, need a value for it.
  if ((f.since ?? 1) > (t.sinceSchemaVersion ?? 1) && !f.nullable && f.default === undefined)
    throw new TableDeclError(
      t.name,
      name,
      `is added in schema version ${f.since}, after its table: it must be nullable or have a default (rows stored before it, and rows older clients write, have no value for it)`,
    );
}

/** No table or field may come from a schema version newer than the app's. */
function checkVersions(t: TableDecl, schemaVersion: number): void {
  const beyond = (v: number | undefined): boolean => v !== undefined && v > schemaVersion;
  const problem = (v: number | undefined): string =>
    `is from schema version ${v}, beyond the app's schemaVersion ${schemaVersion}`;
  if (beyond(t.sinceSchemaVersion))
    throw new TableDeclError(t.name, null, problem(t.sinceSchemaVersion));
  for (const [name, f] of Object.entries(t.fields)) {
    if (beyond(f.since)) throw new TableDeclError(t.name, name, problem(f.since));
    if (beyond(f.mergeSince)) throw new TableDeclError(t.name, name, problem(f.mergeSince));
  }
}

/** Checks one declaration; throws `TableDeclError` at the first mistake. */
export function checkTable(t: TableDecl): void {
  if (typeof t.name !== 'string')
    throw new TableDeclError(String(t.name), null, 'name must be a string');
  checkName(t.name, null, t.name, MAX_TABLE_NAME);
  if (!POLICIES.has(t.policy))
    throw new TableDeclError(
      t.name,
      null,
      `has unknown policy ${JSON.stringify(t.policy)} (one of ${[...POLICIES].join(', ')})`,
    );
  if (t.sinceSchemaVersion !== undefined && !isPositiveInt(t.sinceSchemaVersion))
    throw new TableDeclError(t.name, null, 'since must be a schema version (an integer ≥ 1)');
  checkRequiredFields(t);
  for (const name of Object.keys(t.fields)) checkField(t, name);
  for (const s of t.searchFields) {
    const f = Object.hasOwn(t.fields, s) ? t.fields[s] : undefined;
    if (!f) throw new TableDeclError(t.name, s, 'is a search field but is not declared');
    if (f.type !== FieldType.text)
      throw new TableDeclError(t.name, s, `search fields must be text, not ${f.type}`);
  }
}

/** What the host adds to the check: its schema version and the table names it keeps for itself. */
export interface TablesCheck {
  /** The app's schema version: no table or field may be newer. */
  readonly schemaVersion: number;
  /** Names of the host's own tables (the engine's outbox, the server's users…). */
  readonly reserved: readonly string[];
}

/**
 * Checks an app's tables as a whole: each declaration, no name twice, none the host's own, and
 * no version beyond the app's schema version.
 */
export function checkTables(tables: readonly TableDecl[], check: TablesCheck): void {
  if (!isPositiveInt(check.schemaVersion))
    throw new Error(
      `schemaVersion must be an integer ≥ 1, not ${JSON.stringify(check.schemaVersion)}`,
    );
  if (tables.length === 0)
    throw new Error("no tables declared: give the app's tables (defineTable)");
  const seen = new Set<string>();
  for (const t of tables) {
    checkTable(t);
    if (seen.has(t.name)) throw new TableDeclError(t.name, null, 'is declared twice');
    seen.add(t.name);
    if (check.reserved.includes(t.name) || ENGINE_SYNCED_TABLES.includes(t.name))
      throw new TableDeclError(
        t.name,
        null,
        'is a name the sync engine uses for its own table; choose another',
      );
    checkVersions(t, check.schemaVersion);
  }
}
