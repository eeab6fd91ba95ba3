import type { DeviceList, Revision, RevisionList } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';

interface MetaRow {
  version: string;
  created_at: Date;
  client_id: string | null;
  device_name: string | null;
  merged: boolean;
  hlc: string;
}

const meta = (r: MetaRow): Omit<Revision, 'fields'> => ({
  version: Number(r.version),
  createdAt: r.created_at.toISOString(),
  clientId: r.client_id,
  deviceName: r.device_name,
  merged: r.merged,
  hlc: r.hlc,
});

/** The name of the device that made a revision (`r`): its client's, the user's own only. */
const DEVICE_JOIN = 'LEFT JOIN clients c ON c.client_id = r.client_id AND c.user_id = r.user_id';

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
    `SELECT r.version::text AS version, r.created_at, r.client_id::text AS client_id,
            c.device_name, r.merged, r.hlc, octet_length(r.fields::text) AS bytes
     FROM revisions r ${DEVICE_JOIN}
     WHERE r.user_id = $1 AND r.table_name = $2 AND r.record_id = $3 AND ($4::bigint IS NULL OR r.version < $4)
     ORDER BY r.version DESC LIMIT $5`,
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
    `SELECT r.version::text AS version, r.created_at, r.client_id::text AS client_id,
            c.device_name, r.merged, r.hlc, r.fields
     FROM revisions r ${DEVICE_JOIN}
     WHERE r.user_id = $1 AND r.table_name = $2 AND r.record_id = $3 AND r.version = $4`,
    [userId, table, id, version],
  );
  return r ? { ...meta(r), fields: r.fields } : null;
}

/** Every client id of the user, with the device name its login gave, oldest first. */
export async function listDevices(db: Queryable, userId: string): Promise<DeviceList> {
  const rows = await db.query<{ client_id: string; device_name: string | null; created_at: Date }>(
    `SELECT client_id::text AS client_id, device_name, created_at FROM clients
     WHERE user_id = $1 ORDER BY created_at, client_id`,
    [userId],
  );
  return {
    devices: rows.map((r) => ({
      clientId: r.client_id,
      deviceName: r.device_name,
      createdAt: r.created_at.toISOString(),
    })),
  };
}
