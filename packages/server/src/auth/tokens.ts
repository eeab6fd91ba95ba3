import { hash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

/** A new bearer token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token: only its SHA-256 (a high-entropy secret needs no slow hash). */
export function tokenHash(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** `tokenHash` as hex, as notifications and the token cache name a token (one-shot, no Buffer). */
export function tokenHashHex(token: string): string {
  return hash('sha256', token, 'hex');
}

/** How long tokens live (milliseconds; 0 = no limit). */
export interface TokenPolicy {
  /** A token unused for this long stops working. */
  readonly tokenIdleMs: number;
  /** A token older than this stops working, however often used. */
  readonly tokenLifetimeMs: number;
}

/**
 * How stale `last_used_at` may get before a use rewrites it: a minute, or a tenth of a short idle
 * expiry. A device that syncs every few seconds writes its token row at most once a minute.
 */
export function touchEveryMs(policy: TokenPolicy): number {
  return policy.tokenIdleMs === 0 ? 60_000 : Math.min(60_000, Math.floor(policy.tokenIdleMs / 10));
}

/**
 * The SQL condition for a live token, for statements that resolve tokens themselves. `$hash` names the parameter holding the token's hash; `policyParams` gives the
 * values of the next three parameters, starting at `$first`.
 */
export function liveToken(hash: string, first: number): { where: string; touch: string } {
  const [idle, life, touch] = [
    `$${first}::bigint`,
    `$${first + 1}::bigint`,
    `$${first + 2}::bigint`,
  ];
  const where =
    `hash = ${hash} AND revoked_at IS NULL` +
    ` AND (${idle} = 0 OR last_used_at > now() - ${idle} * interval '1 millisecond')` +
    ` AND (${life} = 0 OR created_at > now() - ${life} * interval '1 millisecond')`;
  return { where, touch: `last_used_at < now() - ${touch} * interval '1 millisecond'` };
}

/** The values of the three parameters `liveToken` reads. */
export function policyParams(policy: TokenPolicy): [number, number, number] {
  return [policy.tokenIdleMs, policy.tokenLifetimeMs, touchEveryMs(policy)];
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
 * Milliseconds until a token stops working unless used again (by the database's clock), null when
 * it is not live, Infinity when it never expires.
 */
export async function tokenExpiresIn(
  db: Queryable,
  token: string,
  policy: TokenPolicy,
): Promise<number | null> {
  const rows = await db.query<{ idle_for: number; age: number }>(
    `SELECT extract(epoch FROM now() - last_used_at)::float8 * 1000 AS idle_for,
            extract(epoch FROM now() - created_at)::float8 * 1000 AS age
     FROM tokens WHERE hash = $1 AND revoked_at IS NULL`,
    [tokenHash(token)],
  );
  const r = rows[0];
  if (!r) return null;
  const left = Math.min(
    policy.tokenIdleMs === 0 ? Infinity : policy.tokenIdleMs - r.idle_for,
    policy.tokenLifetimeMs === 0 ? Infinity : policy.tokenLifetimeMs - r.age,
  );
  return left > 0 ? left : null;
}

/**
 * Revokes one token. The trigger on `tokens` (migration 6) notifies every server process when the
 * revocation commits: their caches drop it and their event streams opened with it end.
 */
export async function revokeToken(db: Queryable, token: string): Promise<void> {
  await db.query('UPDATE tokens SET revoked_at = now() WHERE hash = $1 AND revoked_at IS NULL', [
    tokenHash(token),
  ]);
}

/** Revokes every token of a user ("sign out everywhere"); notified per token, as above. */
export async function revokeAllTokens(db: Queryable, userId: string): Promise<void> {
  await db.query('UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
    userId,
  ]);
}
