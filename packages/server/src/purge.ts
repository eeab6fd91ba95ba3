import type { TableDecl } from '@ferry/protocol';
import type { Database } from './db/database.ts';

/**
 * Deletes soft-deleted rows whose `deleted_at` is older than the retention, user by user, under
 * the user's lock (so it never interleaves with a push). The user's `purged_position` rises to
 * the highest purged position: a client whose cursor is below it may have missed a deletion and
 * gets `410 resync_required`. Returns how many rows went.
 */
export async function purgeTombstones(
  db: Database,
  tables: readonly TableDecl[],
  retentionMs: number,
  nowMs: number = Date.now(),
): Promise<number> {
  const cutoff = new Date(nowMs - retentionMs).toISOString();
  const candidates = new Set<string>();
  for (const t of tables) {
    const rows = await db.query<{ user_id: string }>(
      `SELECT DISTINCT user_id::text AS user_id FROM "${t.name}" WHERE "${t.deletedField}" IS NOT NULL AND "${t.deletedField}" < $1`,
      [cutoff],
    );
    for (const r of rows) candidates.add(r.user_id);
  }
  let total = 0;
  for (const userId of candidates) {
    total += await db.transaction(async (tx) => {
      // The lock a push takes (see `lockUser`, sync/claim.ts).
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
      let n = 0;
      let maxPos = 0n;
      for (const t of tables) {
        // ISO-8601 UTC strings of one format compare in time order as text.
        const gone = await tx.query<{ position: string }>(
          `DELETE FROM "${t.name}" WHERE user_id = $1 AND "${t.deletedField}" IS NOT NULL AND "${t.deletedField}" < $2
           RETURNING position::text AS position`,
          [userId, cutoff],
        );
        n += gone.length;
        for (const g of gone) if (BigInt(g.position) > maxPos) maxPos = BigInt(g.position);
      }
      if (n > 0) {
        await tx.query(
          'UPDATE users SET purged_position = GREATEST(purged_position, $2::bigint) WHERE id = $1',
          [userId, maxPos.toString()],
        );
      }
      return n;
    });
  }
  return total;
}
