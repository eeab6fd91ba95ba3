import {
  TEXT_CONFLICTS_TABLE,
  mergeText,
  settleHunks,
  type TableDecl,
  type TextHunk,
} from '@ferry/protocol';
import type { PersistentClock } from './clock.ts';
import type { SqlDriver, SqlTx } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { knownDeviceNames } from './device-names.ts';
import { enqueue } from './outbox.ts';
import { getRow, q, updateColumns } from './rows.ts';

/**
 * The overlaps of the server's text merges (`text_conflicts`, a synced table the server writes):
 * listed for the user, resolved on any device by a local edit of the merged row and of the conflict
 * row, both of which sync like any other edit.
 */

/** One unresolved overlap of a text merge. */
export interface TextConflict {
  id: string;
  /** The merged row: table, id and field. */
  table: string;
  recordId: string;
  field: string;
  /** The field's text right after the merge: the kept version of every hunk. */
  text: string;
  hunks: TextHunk[];
  /** The clients whose versions are kept and set aside (null: not known). */
  keptClientId: string | null;
  otherClientId: string | null;
  /** Their device names, as the engine last read them (null: not known; see device-names.ts). */
  keptDeviceName: string | null;
  otherDeviceName: string | null;
  /** The row version the merge made. */
  recordVersion: number;
  createdAt: string;
}

/** How to resolve: keep the text as it is, take the other version, keep both, or new text. */
export type TextResolution = { keep: 'this' | 'other' | 'both' } | { content: string };

interface ConflictRow {
  id: string;
  table_name: string;
  record_id: string;
  field: string;
  text: string;
  hunks: string;
  kept_client_id: string | null;
  other_client_id: string | null;
  record_version: number;
  created_at: string;
  resolved_at: string | null;
}

const toConflict = (r: ConflictRow, names: ReadonlyMap<string, string>): TextConflict => ({
  id: r.id,
  table: r.table_name,
  recordId: r.record_id,
  field: r.field,
  text: r.text,
  hunks: JSON.parse(r.hunks) as TextHunk[],
  keptClientId: r.kept_client_id,
  otherClientId: r.other_client_id,
  keptDeviceName: (r.kept_client_id && names.get(r.kept_client_id)) ?? null,
  otherDeviceName: (r.other_client_id && names.get(r.other_client_id)) ?? null,
  recordVersion: r.record_version,
  createdAt: r.created_at,
});

/** Unresolved text conflicts, oldest first; of one record when `recordId` is given. */
export async function listTextConflicts(
  driver: SqlDriver,
  recordId?: string,
): Promise<TextConflict[]> {
  const where = recordId === undefined ? '' : ' AND record_id = ?';
  const { rows, names } = await driver.transaction(async (tx) => ({
    rows: await tx.all<ConflictRow>(
      `SELECT * FROM ${q(TEXT_CONFLICTS_TABLE)} WHERE resolved_at IS NULL${where} ORDER BY created_at, id`,
      recordId === undefined ? [] : [recordId],
    ),
    names: await knownDeviceNames(tx),
  }));
  return rows.map((r) => toConflict(r, names));
}

/** What resolving needs from the engine. */
export interface ResolveDeps {
  driver: SqlDriver;
  tables: ReadonlyMap<string, TableDecl>;
  clock: PersistentClock;
  nowIso: () => string;
}

/**
 * Resolves a text conflict in ONE local transaction: the record's field gets the chosen text
 * (a local edit, queued like any other, so it merges with whatever changed since) and the
 * conflict row is marked resolved (its soft delete, also queued). The chosen version is applied
 * to the current text as a merge against the text the conflict was made on, so later edits of
 * other parts stay; if the current text changed that very part since, it refuses (resolve with
 * new content instead). Returns the record it changed.
 */
export async function resolveTextConflict(
  deps: ResolveDeps,
  id: string,
  how: TextResolution,
): Promise<{ table: string; recordId: string; changed: boolean }> {
  return deps.driver.transaction(async (tx) => {
    const conflicts = deps.tables.get(TEXT_CONFLICTS_TABLE);
    const [row] = await tx.all<ConflictRow>(
      `SELECT * FROM ${q(TEXT_CONFLICTS_TABLE)} WHERE id = ? AND resolved_at IS NULL`,
      [id],
    );
    if (!row || !conflicts)
      throw new FerryError(ErrorKind.notFound, `no open conflict with id ${id}`);
    const c = toConflict(row, new Map());
    const nowIso = deps.nowIso();
    const t = deps.tables.get(c.table);
    const local = t ? await getRow(tx, t, c.recordId) : null;
    let changed = false;
    if (t && local) {
      const current = typeof local[c.field] === 'string' ? (local[c.field] as string) : '';
      const next = chosenText(c, current, how);
      if (next !== current) {
        const fields: Record<string, unknown> = { [c.field]: next };
        const updated = t.timestamps?.updatedAt;
        if (updated !== undefined) fields[updated] = nowIso;
        await writeLocal(tx, deps, t, c.recordId, 'upsert', fields, nowIso);
        changed = true;
      }
    }
    const resolution = 'content' in how ? 'edit' : how.keep;
    const done = { [conflicts.deletedField]: nowIso, resolution };
    await writeLocal(tx, deps, conflicts, c.id, 'delete', done, nowIso);
    return { table: c.table, recordId: c.recordId, changed };
  });
}

/** The field's new text: the choice, applied to the current text. */
function chosenText(c: TextConflict, current: string, how: TextResolution): string {
  if ('content' in how) return how.content;
  if (how.keep === 'this') return current;
  const wanted = settleHunks(c.text, c.hunks, how.keep);
  const r = mergeText(c.text, current, wanted, 'b');
  if (r.hunks.length > 0) {
    throw new FerryError(
      ErrorKind.invalidInput,
      'the text changed where the conflict is since it was recorded: resolve it with new content instead',
    );
  }
  return r.text;
}

/** A local write of some fields of a row, with its outbox entry (as TableStore does). */
async function writeLocal(
  tx: SqlTx,
  deps: ResolveDeps,
  t: TableDecl,
  id: string,
  op: 'upsert' | 'delete',
  fields: Record<string, unknown>,
  nowIso: string,
): Promise<void> {
  const hlc = await deps.clock.stamp(tx);
  await updateColumns(tx, t, id, fields, 0);
  const [row] = await tx.all<{ version: number }>(`SELECT version FROM ${q(t.name)} WHERE id = ?`, [
    id,
  ]);
  const v = row?.version ?? 0;
  await enqueue(
    tx,
    {
      table: t.name,
      recordId: id,
      op,
      fields,
      hlc,
      baseVersion: v > 0 ? v : null,
      createdAt: nowIso,
    },
    t,
  );
}
