/**
 * The synced tables, declared once. Client and server derive their DDL, validation and merge
 * behaviour from these declarations; nothing else lists a table's columns.
 */

/** Storage and wire types a field can have. */
export const FieldType = {
  uuid: 'uuid',
  text: 'text',
  timestamp: 'timestamp',
  integer: 'integer',
} as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

/** How a table resolves concurrent writes. */
export const ConflictPolicy = {
  /** Per-field last writer wins by HLC. */
  lww: 'lww',
  /** The seed's "safer" strategy: a stale `baseVersion` is a conflict. */
  version: 'version',
} as const;
export type ConflictPolicy = (typeof ConflictPolicy)[keyof typeof ConflictPolicy];

export interface FieldDecl {
  readonly type: FieldType;
  /** `null` is a valid value. */
  readonly nullable?: boolean;
  /** Who writes it: clients send `client` fields; `server` fields are never accepted in a mutation. */
  readonly writtenBy: 'client' | 'server';
  /** Must be present when a mutation creates the row. */
  readonly requiredOnCreate?: boolean;
  /** Limit in characters (UTF-16 code units are not counted: code points are). */
  readonly maxChars?: number;
  /** Limit in bytes of UTF-8. */
  readonly maxBytes?: number;
}

export interface TableDecl {
  readonly name: string;
  /** Every field except the `id` primary key, in column order. */
  readonly fields: Readonly<Record<string, FieldDecl>>;
  readonly policy: ConflictPolicy;
  /** Fields a local text search looks in. */
  readonly searchFields: readonly string[];
  /** The soft-delete field (a nullable timestamp). */
  readonly deletedField: string;
}

/** The server-owned row counter every table carries. */
export const VERSION_FIELD = 'version';
/** The local-only flag every client table carries. */
export const SYNCED_FIELD = 'synced';

/** The seed's `notes` table. */
export const notes = {
  name: 'notes',
  policy: ConflictPolicy.lww,
  searchFields: ['title', 'content'],
  deletedField: 'deleted_at',
  fields: {
    title: { type: FieldType.text, writtenBy: 'client', requiredOnCreate: true, maxChars: 1000 },
    content: { type: FieldType.text, writtenBy: 'client', requiredOnCreate: true, maxBytes: 1024 * 1024 },
    created_at: { type: FieldType.timestamp, writtenBy: 'client', requiredOnCreate: true },
    updated_at: { type: FieldType.timestamp, writtenBy: 'client', requiredOnCreate: true },
    deleted_at: { type: FieldType.timestamp, writtenBy: 'client', nullable: true },
    version: { type: FieldType.integer, writtenBy: 'server' },
  },
} as const satisfies TableDecl;

/** The tables protocol v1 declares. */
export const defaultTables: readonly TableDecl[] = [notes];

/** The fields a client may write, in declaration order. */
export function clientFields(t: TableDecl): string[] {
  return Object.entries(t.fields)
    .filter(([, f]) => f.writtenBy === 'client')
    .map(([k]) => k);
}

/** A lookup of tables by name. */
export function tableMap(tables: readonly TableDecl[]): ReadonlyMap<string, TableDecl> {
  return new Map(tables.map((t) => [t.name, t]));
}

/** Returns `t` with another conflict policy (e.g. to serve `notes` under the version policy). */
export function withPolicy<T extends TableDecl>(t: T, policy: ConflictPolicy): T {
  return { ...t, policy };
}
