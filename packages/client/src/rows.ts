import { quoteIdent, type TableDecl } from '@ferry/protocol';
import type { SqlTx, SqlValue } from './driver.ts';

/** Quotes an identifier that comes from a table declaration (`quoteIdent`, by a short name). */
export const q = quoteIdent;

/** A local row: the declared fields plus id, version and synced. */
export type LocalRow = Record<string, SqlValue> & { id: string; version: number; synced: number };

/** Converts a JSON field value into something SQLite can bind. */
export function toSql(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

/** Reads one local row by id. */
export async function getRow(tx: SqlTx, t: TableDecl, id: string): Promise<LocalRow | null> {
  const [r] = await tx.all<LocalRow>(`SELECT * FROM ${q(t.name)} WHERE id = ?`, [id]);
  return r ?? null;
}

/** Updates some columns of a row (plus synced); no-op for an empty set. */
export async function updateColumns(
  tx: SqlTx,
  t: TableDecl,
  id: string,
  values: Record<string, unknown>,
  synced: 0 | 1 | null,
): Promise<void> {
  const names = Object.keys(values);
  const sets = names.map((n) => `${q(n)} = ?`);
  if (synced !== null) sets.push('synced = ?');
  if (sets.length === 0) return;
  const params = names.map((n) => toSql(values[n]));
  if (synced !== null) params.push(synced);
  await tx.run(`UPDATE ${q(t.name)} SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
}

/**
 * Sets `synced` from whether any outbox entry is still queued for the record; parameters
 * `[t.name, id, id]` (see `refreshSynced`).
 */
export function refreshSyncedSql(t: TableDecl): string {
  return `UPDATE ${q(t.name)} SET synced = CASE WHEN EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ? AND record_id = ?) THEN 0 ELSE 1 END WHERE id = ?`;
}

/** Sets `synced` from whether any outbox entry is still queued for the record. */
export async function refreshSynced(tx: SqlTx, t: TableDecl, id: string): Promise<void> {
  await tx.run(refreshSyncedSql(t), [t.name, id, id]);
}
