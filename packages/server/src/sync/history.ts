import type { Revision, RevisionList } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';

interface MetaRow {
  version: string;
  created_at: Date;
  client_id: string | null;
  merged: boolean;
  hlc: string;
}

const meta = (r: MetaRow): Omit<Revision, 'fields'> => ({
  version: Number(r.version),
  createdAt: r.created_at.toISOString(),
  clientId: r.client_id,
  merged: r.merged,
  hlc: r.hlc,
});

/**
 * A page of one row's revisions, newest first, before version `before` (all when null). Only
 * the owner's: every query is scoped by `userId`, so another user's row has no history here.
 */
export async function listRevisions(
  db: Queryable,
  userId: string,
  table: string,
  id: string,
  before: number | null,
  limit: number,
): Promise<RevisionList> {
  // ORDER BY names the column, not the output alias (text: '9' would sort after '10').
  const rows = await db.query<MetaRow & { bytes: number }>(
    `SELECT version::text AS version, created_at, client_id::text AS client_id, merged, hlc,
            octet_length(fields::text) AS bytes
     FROM revisions
     WHERE user_id = $1 AND table_name = $2 AND record_id = $3 AND ($4::bigint IS NULL OR version < $4)
     ORDER BY revisions.version DESC LIMIT $5`,
    [userId, table, id, before, limit + 1],
  );
  return {
    revisions: rows.slice(0, limit).map((r) => ({ ...meta(r), bytes: Number(r.bytes) })),
    hasMore: rows.length > limit,
  };
}

/** One revision of the owner's row, or null. */
export async function getRevision(
  db: Queryable,
  userId: string,
  table: string,
  id: string,
  version: number,
): Promise<Revision | null> {
  const [r] = await db.query<MetaRow & { fields: Record<string, unknown> }>(
    `SELECT version::text AS version, created_at, client_id::text AS client_id, merged, hlc, fields
     FROM revisions WHERE user_id = $1 AND table_name = $2 AND record_id = $3 AND version = $4`,
    [userId, table, id, version],
  );
  return r ? { ...meta(r), fields: r.fields } : null;
}
