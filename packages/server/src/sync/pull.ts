import type { Change } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import type { TableSql } from './rows.ts';

/** One page of changes after a cursor. */
export interface PullPage {
  readonly changes: Change[];
  readonly cursor: string;
  readonly hasMore: boolean;
  /** The user's purged position, read in the same snapshot as the changes. */
  readonly purged: bigint;
}

/**
 * Builds the query that reads one page across every declared table, in position order, together
 * with the user's purged position (one statement, so one snapshot).
 */
export function pullQuery(tables: readonly TableSql[]): string {
  const parts = tables.map((t) => `(${t.pull})`);
  return `SELECT u.purged_position::text AS purged, s.t, s.position::text AS position, s.row
    FROM users u LEFT JOIN LATERAL (
      SELECT * FROM (${parts.join('\n      UNION ALL\n      ')}) x ORDER BY x.position LIMIT $3
    ) s ON true
    WHERE u.id = $1 ORDER BY s.position`;
}

/**
 * The user's rows whose position is above `cursor`, at most `limit`, each in its latest state.
 * One extra row is read to tell whether there is more.
 */
export async function pull(
  db: Queryable,
  query: string,
  userId: string,
  cursor: string,
  limit: number,
): Promise<PullPage> {
  const rows = await db.query<{
    purged: string;
    t: string | null;
    position: string | null;
    row: Change['row'] | null;
  }>(query, [userId, cursor, limit + 1], true);
  const purged = BigInt(rows[0]?.purged ?? '0');
  const found = rows.filter((r) => r.t !== null);
  const hasMore = found.length > limit;
  const page = hasMore ? found.slice(0, limit) : found;
  const changes: Change[] = page.map((r) => ({ table: r.t!, seq: r.position!, row: r.row! }));
  return {
    changes,
    cursor: page.length > 0 ? page[page.length - 1]!.position! : cursor,
    hasMore,
    purged,
  };
}
