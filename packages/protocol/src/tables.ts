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

/** How concurrent writes of one field combine (under the `lww` table policy). */
export const MergePolicy = {
  /** The write with the greatest HLC wins the whole value. */
  lww: 'lww',
  /**
   * Text: the server merges an edit three-way against the text it was made on (see
   * `text-merge.ts`); overlapping parts keep the later side and the other side becomes a
   * `text_conflicts` row. Every accepted value is kept as a revision (history).
   */
  text: 'text',
} as const;
export type MergePolicy = (typeof MergePolicy)[keyof typeof MergePolicy];

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
  /** How concurrent writes combine; `lww` when absent. Only `text` fields may say `text`. */
  readonly merge?: MergePolicy;
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
  /**
   * The first `schemaVersion` that knows this table; older clients are never sent its rows.
   * Absent: every version.
   */
  readonly sinceSchemaVersion?: number;
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
    content: {
      type: FieldType.text,
      writtenBy: 'client',
      requiredOnCreate: true,
      maxBytes: 1024 * 1024,
      merge: MergePolicy.text,
    },
    created_at: { type: FieldType.timestamp, writtenBy: 'client', requiredOnCreate: true },
    updated_at: { type: FieldType.timestamp, writtenBy: 'client', requiredOnCreate: true },
    deleted_at: { type: FieldType.timestamp, writtenBy: 'client', nullable: true },
    version: { type: FieldType.integer, writtenBy: 'server' },
  },
} as const satisfies TableDecl;

/** The name of the table that holds the overlaps of text merges. */
export const TEXT_CONFLICTS_TABLE = 'text_conflicts';

/**
 * Overlapping parts of text merges, written by the server, synced to every device of the user
 * until someone resolves them (`resolved_at` is the table's soft delete). See docs/protocol.md.
 */
export const textConflicts = {
  name: TEXT_CONFLICTS_TABLE,
  policy: ConflictPolicy.lww,
  searchFields: [],
  deletedField: 'resolved_at',
  sinceSchemaVersion: 2,
  fields: {
    /** The merged row's table, id and field. */
    table_name: { type: FieldType.text, writtenBy: 'server' },
    record_id: { type: FieldType.uuid, writtenBy: 'server' },
    field: { type: FieldType.text, writtenBy: 'server' },
    /** The field's value right after the merge (the kept side of every hunk). */
    text: { type: FieldType.text, writtenBy: 'server' },
    /** JSON `TextHunk[]`: where in `text` each overlap is, its base, kept and other version. */
    hunks: { type: FieldType.text, writtenBy: 'server' },
    /** The row version the merge produced. */
    record_version: { type: FieldType.integer, writtenBy: 'server' },
    /** The client whose version is kept in `text`, and the one whose version is in `other`. */
    kept_client_id: { type: FieldType.uuid, writtenBy: 'server', nullable: true },
    other_client_id: { type: FieldType.uuid, writtenBy: 'server', nullable: true },
    created_at: { type: FieldType.timestamp, writtenBy: 'server' },
    resolved_at: { type: FieldType.timestamp, writtenBy: 'client', nullable: true },
    /** How it was resolved: `this`, `other`, `both` or `edit`. */
    resolution: { type: FieldType.text, writtenBy: 'client', nullable: true, maxChars: 16 },
    version: { type: FieldType.integer, writtenBy: 'server' },
  },
} as const satisfies TableDecl;

/** The tables this build declares. */
export const defaultTables: readonly TableDecl[] = [notes, textConflicts];

/** The fields a client may write, in declaration order. */
export function clientFields(t: TableDecl): string[] {
  return Object.entries(t.fields)
    .filter(([, f]) => f.writtenBy === 'client')
    .map(([k]) => k);
}

/** The fields a server keeps per row besides `id` and `version`, in declaration order. */
export function storedFields(t: TableDecl): string[] {
  return Object.keys(t.fields).filter((k) => k !== VERSION_FIELD);
}

/**
 * The fields that merge as text: declared `merge: 'text'`, in a table under the `lww` policy
 * (under the `version` policy a stale edit is a conflict as a whole).
 */
export function textFields(t: TableDecl): string[] {
  if (t.policy !== ConflictPolicy.lww) return [];
  return Object.entries(t.fields)
    .filter(([, f]) => f.merge === MergePolicy.text && f.type === FieldType.text)
    .map(([k]) => k);
}

/** True when the server keeps revisions of the table's rows: it has a text field (its merge bases). */
export function keepsRevisions(t: TableDecl): boolean {
  return textFields(t).length > 0;
}

/**
 * `tables`, with `text_conflicts` added when a table has a text field and it is missing: the
 * overlaps of text merges must have somewhere to go.
 */
export function withTextConflicts(tables: readonly TableDecl[]): readonly TableDecl[] {
  const needed = tables.some((t) => textFields(t).length > 0);
  if (!needed || tables.some((t) => t.name === TEXT_CONFLICTS_TABLE)) return tables;
  return [...tables, textConflicts];
}

/** True when a client of `schemaVersion` knows table `t`. */
export function servedTo(t: TableDecl, schemaVersion: number): boolean {
  return schemaVersion >= (t.sinceSchemaVersion ?? 0);
}

/** A lookup of tables by name. */
export function tableMap(tables: readonly TableDecl[]): ReadonlyMap<string, TableDecl> {
  return new Map(tables.map((t) => [t.name, t]));
}

/** Returns `t` with another conflict policy (e.g. to serve `notes` under the version policy). */
export function withPolicy<T extends TableDecl>(t: T, policy: ConflictPolicy): T {
  return { ...t, policy };
}
