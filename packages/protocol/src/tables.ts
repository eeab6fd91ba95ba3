/**
 * The shape of a synced table's declaration, as client and server read it. An app makes one with
 * `defineTable` (define-table.ts), which adds the fields every synced table needs and checks it;
 * client and server derive their DDL, validation and merge behaviour from it, and check it again
 * at start-up (check-tables.ts). Nothing else lists a table's columns.
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
  /**
   * The value a local create fills in when the app leaves the field out (so a create's mutation
   * always carries it; the server does not fill defaults).
   */
  readonly default?: string | number | null;
  /**
   * Schema evolution seam: the first app schema version that has this field (absent: the
   * table's). Checked (1 ≤ since ≤ the app's schema version); serving older schemas by it is
   * issue 9 item 2.
   */
  readonly since?: number;
  /** The first app schema version whose clients know this field's `merge` policy (absent: `since`). */
  readonly mergeSince?: number;
}

/** The fields whose meaning the engine knows, by role rather than by name. */
export interface TimestampRoles {
  /** Set to now by a local create when the app leaves it out. */
  readonly createdAt?: string;
  /** Set to now by every local create and update; lists sort by it, newest first. */
  readonly updatedAt?: string;
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
  /** Which fields are the creation and modification times (absent: the table has none). */
  readonly timestamps?: TimestampRoles;
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

/** True when a client of `schemaVersion` knows table `t`. */
export function servedTo(t: TableDecl, schemaVersion: number): boolean {
  return schemaVersion >= (t.sinceSchemaVersion ?? 0);
}

/** A lookup of tables by name. */
export function tableMap(tables: readonly TableDecl[]): ReadonlyMap<string, TableDecl> {
  return new Map(tables.map((t) => [t.name, t]));
}

/** Returns `t` with another conflict policy (e.g. to serve a table under the version policy). */
export function withPolicy<T extends TableDecl>(t: T, policy: ConflictPolicy): T {
  return { ...t, policy };
}
