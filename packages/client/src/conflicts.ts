import type { TableDecl } from '@ferry/protocol';
import type { Conflict, RejectedChange } from './api.ts';
import type { PersistentClock } from './clock.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { enqueue, pendingFields } from './outbox.ts';
import { getRow, refreshSynced, updateColumns } from './rows.ts';

interface ConflictRow {
  id: string;
  table_name: string;
  record_id: string;
  mine: string;
  theirs: string | null;
  detected_at: string;
}

interface RejectedRow {
  id: string;
  table_name: string;
  record_id: string;
  operation: 'upsert' | 'delete';
  fields: string;
  code: string;
  message: string;
  rejected_at: string;
}

const toConflict = (r: ConflictRow): Conflict => ({
  id: r.id,
  table: r.table_name,
  recordId: r.record_id,
  mine: JSON.parse(r.mine) as Record<string, unknown>,
  theirs: r.theirs === null ? null : (JSON.parse(r.theirs) as Record<string, unknown>),
  detectedAt: r.detected_at,
});

/** Unresolved conflicts (version policy), oldest first. */
export async function listConflicts(driver: SqlDriver): Promise<Conflict[]> {
  return (
    await driver.transaction((tx) =>
      tx.all<ConflictRow>('SELECT * FROM conflicts ORDER BY detected_at, id'),
    )
  ).map(toConflict);
}

/**
 * Resolves a conflict in one local transaction. `mine` writes my fields again as a new outbox
 * entry based on the server's version (so it applies on the next sync); `theirs` puts the
 * server's row back locally (fields another queued change still writes keep their local value).
 */
export async function resolveConflict(
  driver: SqlDriver,
  tables: ReadonlyMap<string, TableDecl>,
  clock: PersistentClock,
  nowIso: () => string,
  id: string,
  choice: 'mine' | 'theirs',
): Promise<{ table: string; recordId: string }> {
  return driver.transaction(async (tx) => {
    const [row] = await tx.all<ConflictRow>('SELECT * FROM conflicts WHERE id = ?', [id]);
    if (!row) throw new FerryError(ErrorKind.notFound, `no conflict with id ${id}`);
    const c = toConflict(row);
    const t = tables.get(c.table);
    await tx.run('DELETE FROM conflicts WHERE id = ?', [id]);
    if (!t) return { table: c.table, recordId: c.recordId };
    const local = await getRow(tx, t, c.recordId);
    if (choice === 'mine') {
      const theirVersion =
        typeof c.theirs?.version === 'number' ? c.theirs.version : (local?.version ?? 0);
      const hlc = await clock.stamp(tx);
      if (local) await updateColumns(tx, t, c.recordId, c.mine, 0);
      const deleting = Object.hasOwn(c.mine, t.deletedField) && c.mine[t.deletedField] !== null;
      await enqueue(tx, {
        table: t.name,
        recordId: c.recordId,
        op: deleting ? 'delete' : 'upsert',
        fields: c.mine,
        hlc,
        baseVersion: theirVersion > 0 ? theirVersion : null,
        createdAt: nowIso(),
      });
      // Older queued entries for this record were based on the same stale view: move them along too.
      await tx.run(
        'UPDATE sync_queue SET base_version = ? WHERE table_name = ? AND record_id = ?',
        [theirVersion > 0 ? theirVersion : null, t.name, c.recordId],
      );
    } else if (c.theirs && local) {
      const pending = await pendingFields(tx, t.name, c.recordId);
      const back: Record<string, unknown> = {};
      for (const f of Object.keys(t.fields))
        if (Object.hasOwn(c.theirs, f) && !pending.has(f)) back[f] = c.theirs[f];
      await updateColumns(tx, t, c.recordId, back, null);
      await refreshSynced(tx, t, c.recordId);
    }
    return { table: t.name, recordId: c.recordId };
  });
}

/** Changes the server rejected, newest first. */
export async function listRejected(driver: SqlDriver): Promise<RejectedChange[]> {
  const rows = await driver.transaction((tx) =>
    tx.all<RejectedRow>('SELECT * FROM rejected_changes ORDER BY rejected_at DESC, id DESC'),
  );
  return rows.map((r) => ({
    id: r.id,
    table: r.table_name,
    recordId: r.record_id,
    op: r.operation,
    fields: JSON.parse(r.fields) as Record<string, unknown>,
    code: r.code,
    message: r.message,
    rejectedAt: r.rejected_at,
  }));
}

/** Forgets a rejected change once the user has seen it. */
export async function dismissRejected(driver: SqlDriver, id: string): Promise<void> {
  const { changes } = await driver.transaction((tx) =>
    tx.run('DELETE FROM rejected_changes WHERE id = ?', [id]),
  );
  if (changes === 0) throw new FerryError(ErrorKind.notFound, `no rejected change with id ${id}`);
}
