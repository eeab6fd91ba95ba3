import type { TableDecl } from '@ferry/protocol';
import { keepsRevisions } from '@ferry/protocol';
import type { Database } from './db/database.ts';

/** How long revisions are kept. */
export interface RevisionRetention {
  /** Every revision younger than this is kept (0: keep every revision for ever). */
  readonly keepAllMs: number;
  /** Older than `keepAllMs` and younger than this, the last revision of each UTC day is kept. */
  readonly keepDailyMs: number;
}

/**
 * Thins the history: revisions older than `keepAllMs` are deleted except the last of each row and
 * UTC day, and those older than `keepDailyMs` too; the newest revision of a row always stays.
 * Revisions of rows that no longer exist (purged tombstones) go, and so do the texts clients sent
 * (`sent_texts`, the bases of their next edits) older than `keepAllMs`. An edit whose base was
 * thinned away merges as if its base were unknown: the whole text overlaps, nothing is lost.
 * Returns how many revisions went.
 */
export async function purgeRevisions(
  db: Database,
  tables: readonly TableDecl[],
  retention: RevisionRetention,
  nowMs: number = Date.now(),
): Promise<number> {
  if (retention.keepAllMs <= 0) return 0;
  const keepAll = new Date(nowMs - retention.keepAllMs);
  const keepDaily = new Date(nowMs - Math.max(retention.keepDailyMs, retention.keepAllMs));
  const thinned = await db.query<{ n: string }>(
    `WITH old AS (
       SELECT user_id, table_name, record_id, version, created_at,
              row_number() OVER (PARTITION BY user_id, table_name, record_id,
                                 (created_at AT TIME ZONE 'UTC')::date ORDER BY version DESC) AS nth
       FROM revisions WHERE created_at < $1),
     gone AS (
       DELETE FROM revisions r USING old
       WHERE r.user_id = old.user_id AND r.table_name = old.table_name
         AND r.record_id = old.record_id AND r.version = old.version
         AND (old.nth > 1 OR old.created_at < $2)
         AND EXISTS (SELECT 1 FROM revisions n WHERE n.user_id = r.user_id AND n.table_name = r.table_name
                     AND n.record_id = r.record_id AND n.version > r.version)
       RETURNING 1)
     SELECT count(*)::text AS n FROM gone`,
    [keepAll, keepDaily],
  );
  let total = Number(thinned[0]?.n ?? 0);
  for (const t of tables.filter(keepsRevisions)) {
    const orphans = await db.query<{ n: string }>(
      `WITH gone AS (
         DELETE FROM revisions r WHERE r.table_name = $1
           AND NOT EXISTS (SELECT 1 FROM "${t.name}" x WHERE x.user_id = r.user_id AND x.id = r.record_id)
         RETURNING 1)
       SELECT count(*)::text AS n FROM gone`,
      [t.name],
    );
    total += Number(orphans[0]?.n ?? 0);
  }
  await db.query('DELETE FROM sent_texts WHERE created_at < $1', [keepAll]);
  return total;
}
