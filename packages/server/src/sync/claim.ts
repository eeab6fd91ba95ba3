/**
 * Claiming a client id: the first request that names one binds it to the caller's user (and
 * names it after the caller's login); a request of another user naming it is 403. Both statements
 * that claim are built from the same CTEs (`claimCtes`): `claimClient` for a request without
 * mutations, `readUserAndClaim` for a push, which reads the user's row in the same round trip.
 */
import type { Queryable } from '../db/database.ts';
import { fail } from '../http/errors.ts';
import type { ClientLineage } from './lineage.ts';

/**
 * Names the client by its login's device name (`name`) when it has none or another: a CTE of
 * the statements that claim a client id (`client`, `user`). Writes only when the name changes.
 */
const nameClient = (client: string, user: string, name: string): string =>
  `named AS (UPDATE clients SET device_name = ${name}::text
             WHERE client_id = ${client} AND user_id = ${user} AND ${name}::text IS NOT NULL
               AND device_name IS DISTINCT FROM ${name}::text)`;

/**
 * The CTEs that claim client id `client` for user `user`, named `name` (each a SQL placeholder):
 * `ins` binds it on first use (with `from`, only for the rows of that FROM clause), `named`
 * renames it (unless `rename` is false), and `c` is the client's row, inserted now or there
 * before. `c` is empty when another transaction's first use of the id has not committed in this
 * statement's snapshot.
 */
function claimCtes(client: string, user: string, name: string, from = '', rename = true): string {
  return `ins AS (INSERT INTO clients (client_id, user_id, device_name)
                  SELECT ${client}::uuid, ${user}::uuid, ${name}::text ${from}
                  ON CONFLICT (client_id) DO NOTHING RETURNING user_id, last_mutation_seq, confirmed_seq),
          ${rename ? `${nameClient(client, user, name)},` : ''}
          c AS (SELECT user_id, last_mutation_seq, confirmed_seq FROM ins
                UNION ALL SELECT user_id, last_mutation_seq, confirmed_seq FROM clients WHERE client_id = ${client})`;
}

interface ClientRow {
  user_id: string;
  last_mutation_seq: string;
  confirmed_seq: string;
  position: string;
  max_hlc: string;
}

/**
 * Binds `clientId` to the user on first use and returns its state. A `clientId` that belongs to
 * another user is 403. One statement, so a pull-only request stays cheap. `deviceName`: the
 * name the caller's login gave, linked to the client id (see `nameClient`); `rename: false`
 * leaves an existing client's name as it is (a push before its lock: see `readUserAndClaim`).
 */
export async function claimClient(
  db: Queryable,
  userId: string,
  clientId: string,
  deviceName: string | null = null,
  rename = true,
): Promise<ClientLineage & { position: string; userHlc: string }> {
  const sql = `WITH ${claimCtes('$1', '$2', '$3', '', rename)}
    SELECT c.user_id::text AS user_id, c.last_mutation_seq::text AS last_mutation_seq,
           c.confirmed_seq::text AS confirmed_seq,
           (SELECT position::text FROM users WHERE id = $2) AS position,
           (SELECT max_hlc FROM users WHERE id = $2) AS max_hlc
    FROM c`;
  let rows = await db.query<ClientRow>(sql, [clientId, userId, deviceName]);
  // A concurrent first use committed after this statement's snapshot: read it again.
  if (rows.length === 0) rows = await db.query<ClientRow>(sql, [clientId, userId, deviceName]);
  const r = rows[0];
  if (r === undefined) fail('unavailable', 'client registration raced; retry', 1);
  if (r.user_id !== userId) fail('forbidden', 'this clientId belongs to another user');
  return {
    lastSeq: Number(r.last_mutation_seq),
    confirmedSeq: Number(r.confirmed_seq),
    position: r.position,
    userHlc: r.max_hlc,
  };
}

/** The user's row, as `readUserAndClaim` read it, and what it found of the client id. */
export interface UserAndClient {
  readonly position: string;
  readonly purgedPosition: bigint;
  /** The latest stamp of the user's own mutations. */
  readonly maxHlc: string;
  /** The client id's owner and lineage; `null` when `c` was empty (see `claimCtes`). */
  readonly claimed: { readonly owner: string; readonly lineage: ClientLineage } | null;
}

/**
 * A push's first round trip, before it takes the user's lock: reads the user's row and claims
 * the client id. A user that no longer exists is 401. It does not rename the client (the push's
 * write does, under the lock): the rename's row lock, held until commit, would make a push of
 * the same client id that holds the user's lock wait for this one, which waits for that lock.
 */
export async function readUserAndClaim(
  tx: Queryable,
  userId: string,
  clientId: string,
  deviceName: string | null,
): Promise<UserAndClient> {
  const [head] = await tx.query<{
    position: string;
    purged_position: string;
    owner: string | null;
    last_mutation_seq: string | null;
    confirmed_seq: string | null;
    max_hlc: string;
  }>(
    `WITH u AS (SELECT position, purged_position, max_hlc FROM users WHERE id = $1),
          ${claimCtes('$2', '$1', '$3', 'FROM u', false)}
     SELECT u.position::text AS position, u.purged_position::text AS purged_position, u.max_hlc,
            (SELECT user_id::text FROM c LIMIT 1) AS owner, (SELECT last_mutation_seq::text FROM c LIMIT 1) AS last_mutation_seq,
            (SELECT confirmed_seq::text FROM c LIMIT 1) AS confirmed_seq
     FROM u`,
    [userId, clientId, deviceName],
    true,
  );
  if (head === undefined) fail('unauthorized', 'the user no longer exists');
  return {
    position: head.position,
    purgedPosition: BigInt(head.purged_position),
    maxHlc: head.max_hlc,
    claimed:
      head.owner === null
        ? null
        : {
            owner: head.owner,
            lineage: {
              lastSeq: Number(head.last_mutation_seq),
              confirmedSeq: Number(head.confirmed_seq),
            },
          },
  };
}

/**
 * The lineage of the client id `readUserAndClaim` claimed: read again when another transaction's
 * first use was not yet visible to it; 403 when the id belongs to another user.
 */
export async function claimedClient(
  tx: Queryable,
  userId: string,
  clientId: string,
  deviceName: string | null,
  read: UserAndClient,
): Promise<ClientLineage> {
  // Not renamed here either: this runs before the lock too (the write renames under it).
  if (read.claimed === null) return claimClient(tx, userId, clientId, deviceName, false);
  if (read.claimed.owner !== userId) fail('forbidden', 'this clientId belongs to another user');
  return read.claimed.lineage;
}

/** The user's row under the lock a push takes: its position, purged position and latest stamp. */
export interface LockedUser {
  readonly position: bigint;
  readonly purgedPosition: bigint;
  readonly maxHlc: string;
}

/**
 * Locks the user's row, so this user's pushes (and purges) run one at a time and the positions
 * they hand out commit in order. Its own statement: a statement's snapshot is taken when it
 * starts, so one that waited for the lock would read other rows as they were before the wait;
 * the next statement sees everything committed before the lock was granted. 401 when the user
 * no longer exists.
 *
 * `FOR NO KEY UPDATE`, not `FOR UPDATE`: a client id's first push inserts its `clients` row
 * before the lock (`readUserAndClaim`), and the foreign key's check holds a key-share lock on
 * the user's row until the transaction ends. Two such pushes each holding that and both asking
 * `FOR UPDATE` (which conflicts with it) would deadlock; `FOR NO KEY UPDATE` does not conflict
 * with it and still excludes every other push and purge (purge.ts takes the same lock).
 */
export async function lockUser(tx: Queryable, userId: string): Promise<LockedUser> {
  const [row] = await tx.query<{ position: string; purged_position: string; max_hlc: string }>(
    `SELECT position::text AS position, purged_position::text AS purged_position, max_hlc
     FROM users WHERE id = $1 FOR NO KEY UPDATE`,
    [userId],
    true,
  );
  if (row === undefined) fail('unauthorized', 'the user no longer exists');
  return {
    position: BigInt(row.position),
    purgedPosition: BigInt(row.purged_position),
    maxHlc: row.max_hlc,
  };
}
