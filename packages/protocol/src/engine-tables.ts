/**
 * The synced table the engine itself provides: `text_conflicts`, where the overlaps of text
 * merges go. An app never declares it; it is added to the app's tables when one of them has a
 * field that merges as text (`withTextConflicts`), on the device and on the server alike.
 */
import { ConflictPolicy, FieldType, textFields, type TableDecl } from './tables.ts';

/** The name of the table that holds the overlaps of text merges. */
export const TEXT_CONFLICTS_TABLE = 'text_conflicts';

/**
 * Overlapping parts of text merges, written by the server, synced to every device of the user
 * until someone resolves them (`resolved_at` is the table's soft delete). See docs/protocol.md.
 * Its `sinceSchemaVersion` is set by `withTextConflicts` from the app's text fields.
 */
export const textConflicts = {
  name: TEXT_CONFLICTS_TABLE,
  policy: ConflictPolicy.lww,
  searchFields: [],
  deletedField: 'resolved_at',
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

/**
 * The first app schema version whose clients know text merging: the earliest version at which
 * a field merged as text (its `mergeSince`, else its `since`, else its table's, else 1).
 */
function textMergeSince(tables: readonly TableDecl[]): number | null {
  let since: number | null = null;
  for (const t of tables) {
    for (const name of textFields(t)) {
      const f = t.fields[name]!;
      const v = f.mergeSince ?? f.since ?? t.sinceSchemaVersion ?? 1;
      since = since === null ? v : Math.min(since, v);
    }
  }
  return since;
}

/**
 * The app's tables plus the engine's: `text_conflicts` is added when a table has a field that
 * merges as text (the overlaps must have somewhere to go), served from the schema version that
 * brought text merging (older clients are never sent its rows).
 */
export function withTextConflicts(tables: readonly TableDecl[]): readonly TableDecl[] {
  const since = textMergeSince(tables);
  if (since === null) return tables;
  return [...tables, { ...textConflicts, ...(since > 1 ? { sinceSchemaVersion: since } : {}) }];
}

/** Names of the synced tables the engine provides; an app may not declare them. */
export const ENGINE_SYNCED_TABLES: readonly string[] = [TEXT_CONFLICTS_TABLE];
