import type { Queryable } from '../db/database.ts';
import { liveToken, policyParams, tokenHash, type TokenPolicy } from '../auth/tokens.ts';
import { fail } from '../http/errors.ts';
import { claimClient } from './push.ts';

/** The caller of a pull-only request and its client's state. */
export interface PullCaller {
  readonly userId: string;
  readonly lastSeq: number;
  /** The user's position, in the same snapshot. */
  readonly position: string;
}

const live = liveToken('$1', 3);

/**
 * A pull-only `/v1/sync` (the idle poll every device makes) in one round trip: resolve the token,
 * bind the clientId to its user on first use, read the client's seq and the user's position.
 * Same rules as `authenticate` + `claimClient`, one statement instead of two.
 */
export async function authenticatePull(
  db: Queryable,
  token: string,
  clientId: string,
  policy: TokenPolicy,
): Promise<PullCaller> {
  const rows = await db.query<{
    user_id: string;
    owner: string | null;
    last_seq: string | null;
    position: string;
  }>(
    `WITH t AS (SELECT user_id FROM tokens WHERE ${live.where}),
          touch AS (UPDATE tokens SET last_used_at = now() WHERE ${live.where} AND ${live.touch}),
          ins AS (INSERT INTO clients (client_id, user_id) SELECT $2, user_id FROM t
                  ON CONFLICT (client_id) DO NOTHING RETURNING user_id, last_mutation_seq),
          c AS (SELECT user_id, last_mutation_seq FROM ins
                UNION ALL SELECT user_id, last_mutation_seq FROM clients WHERE client_id = $2)
     SELECT t.user_id::text AS user_id, (SELECT user_id::text FROM c LIMIT 1) AS owner,
            (SELECT last_mutation_seq::text FROM c LIMIT 1) AS last_seq, u.position::text AS position
     FROM t JOIN users u ON u.id = t.user_id`,
    [tokenHash(token), clientId, ...policyParams(policy)],
    true,
  );
  const r = rows[0];
  if (r === undefined) fail('unauthorized', 'unknown, revoked or expired token');
  if (r.owner === null) {
    // The clientId's first use by a concurrent request committed after our snapshot.
    const c = await claimClient(db, r.user_id, clientId);
    return { userId: r.user_id, lastSeq: c.lastSeq, position: c.position };
  }
  if (r.owner !== r.user_id) fail('forbidden', 'this clientId belongs to another user');
  return { userId: r.user_id, lastSeq: Number(r.last_seq), position: r.position };
}
