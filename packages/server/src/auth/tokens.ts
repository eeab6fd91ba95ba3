import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

/** A new bearer token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token: only its SHA-256 (a high-entropy secret needs no slow hash). */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Stores a token for a login (one per device) and returns it. */
export async function issueToken(
  db: Queryable,
  userId: string,
  deviceName: string | null,
): Promise<string> {
  const token = newToken();
  await db.query('INSERT INTO tokens (hash, user_id, device_name) VALUES ($1, $2, $3)', [
    tokenHash(token),
    userId,
    deviceName,
  ]);
  return token;
}

/**
 * The user a live token belongs to, or null. `last_used_at` is refreshed at most once a minute so
 * a busy client does not turn every request into a write.
 */
export async function userForToken(db: Queryable, token: string): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>(
    `WITH t AS (SELECT user_id FROM tokens WHERE hash = $1 AND revoked_at IS NULL),
          touch AS (UPDATE tokens SET last_used_at = now()
                    WHERE hash = $1 AND revoked_at IS NULL AND last_used_at < now() - interval '1 minute')
     SELECT user_id FROM t`,
    [tokenHash(token)],
    true,
  );
  return rows[0]?.user_id ?? null;
}

/** Revokes one token. */
export async function revokeToken(db: Queryable, token: string): Promise<void> {
  await db.query('UPDATE tokens SET revoked_at = now() WHERE hash = $1 AND revoked_at IS NULL', [
    tokenHash(token),
  ]);
}
