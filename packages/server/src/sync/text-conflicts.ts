import { uuidv7 } from '@ferry/protocol';
import type { StoredRow, TextOverlap } from './merge.ts';

/** Who wrote the two sides of a merge. */
export interface MergeSides {
  /** The client whose mutation was merged. */
  readonly mine: string;
  /** The client that last wrote the row before it, when known. */
  readonly theirs: string | null;
}

/**
 * The `text_conflicts` rows for the overlaps of one merge (one per field): the merged text, the
 * hunks (JSON), and whose version the text kept. They are new rows of the user, so the push gives
 * them positions like any row it changed, and every device pulls them.
 */
export function conflictRows(
  table: string,
  row: StoredRow,
  overlaps: readonly TextOverlap[],
  sides: MergeSides,
  nowMs: number,
): StoredRow[] {
  const createdAt = new Date(nowMs).toISOString();
  return overlaps.map((o) => ({
    id: uuidv7(nowMs),
    fields: {
      table_name: table,
      record_id: row.id,
      field: o.field,
      text: o.text,
      hunks: JSON.stringify(o.hunks),
      record_version: row.version,
      kept_client_id: o.keptMine ? sides.mine : sides.theirs,
      other_client_id: o.keptMine ? sides.theirs : sides.mine,
      created_at: createdAt,
      resolved_at: null,
      resolution: null,
    },
    hlcs: {},
    version: 1,
  }));
}
