import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

/** How many failed logins each counter allows per window. */
export interface LoginLimits {
  /** Per (email, address), per minute. */
  readonly perPairPerMinute: number;
  /** Per address, whatever the emails, per minute. */
  readonly perAddressPerMinute: number;
  /** Per email from addresses it has not signed in from, per hour. */
  readonly perAccountPerHour: number;
}

/** One counter: its key and how far it is into its window. */
interface Count {
  readonly key: Buffer;
  readonly count: number;
  /** The window's end in microseconds since the epoch (names the window, exactly). */
  readonly window: string;
  /** Seconds until the window ends, by the database's clock. */
  readonly resetIn: number;
}

/** What `attempt` counted, so a successful login can give it back. */
export interface Attempt {
  /** Seconds to wait; 0 means the password may be checked now. */
  readonly retryAfter: number;
  readonly counted: readonly Count[];
  readonly pairKey: Buffer;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A known address stops counting as known after this long without a successful login. */
const KNOWN_FOR = '90 days';

const digest = (...parts: string[]): Buffer =>
  createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();

/**
 * Login throttling in PostgreSQL, so every server process on a database shares the counters.
 *
 * Each attempt is counted before the password is verified, by an atomic
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING count`: of N parallel attempts exactly those
 * counted within the limit go on to the (slow) Argon2 check, the rest get 429. A successful login
 * gives its count back, so the limits are on failures. Counters use fixed windows (a burst of up to
 * twice a limit is possible across a window boundary).
 *
 * Three counters: per (email, address) and per address, each per minute, are checked first; the
 * per-email counter (per hour) is counted only for attempts that passed them, and not at all from
 * an address the account has signed in from within 90 days, so strangers' failures cannot lock an
 * owner out of the addresses they use.
 */
export class LoginThrottle {
  private attempts = 0;

  constructor(
    private readonly db: Queryable,
    private readonly limits: LoginLimits,
  ) {}

  /** Counts one attempt to log in as `emailKey` from `address` (see `addressKey`). */
  async attempt(emailKey: string, address: string, knownAddress: boolean): Promise<Attempt> {
    if (++this.attempts % 256 === 0) void this.sweep().catch(() => undefined);
    const pairKey = digest('pair', emailKey, address);
    const local = await this.count([
      [pairKey, MINUTE, this.limits.perPairPerMinute],
      [digest('address', address), MINUTE, this.limits.perAddressPerMinute],
    ]);
    if (local.retryAfter > 0 || knownAddress) return { ...local, pairKey };
    const account = await this.count([
      [digest('account', emailKey), HOUR, this.limits.perAccountPerHour],
    ]);
    return {
      retryAfter: account.retryAfter,
      counted: [...local.counted, ...account.counted],
      pairKey,
    };
  }

  /**
   * After a successful login: forgets the (email, address) failures, gives back what the attempt
   * added to the other counters, and remembers the address as one this user signs in from.
   */
  async succeeded(attempt: Attempt, userId: string, address: string): Promise<void> {
    const back = attempt.counted.filter((c) => !c.key.equals(attempt.pairKey));
    await this.db.query(
      `WITH forget AS (DELETE FROM login_throttle WHERE key = $1),
            refund AS (UPDATE login_throttle t SET count = t.count - 1
                       FROM unnest($2::bytea[], $3::bigint[]) AS r(key, win)
                       WHERE t.key = r.key AND t.count > 0
                         AND (extract(epoch FROM t.reset_at) * 1000000)::bigint = r.win)
       INSERT INTO login_addresses (user_id, address) VALUES ($4, $5)
       ON CONFLICT (user_id, address) DO UPDATE SET last_success_at = now()`,
      [attempt.pairKey, back.map((c) => c.key), back.map((c) => c.window), userId, address],
    );
  }

  /** Remembers an address a user signed in from (a signup, say) without any counting. */
  async remember(userId: string, address: string): Promise<void> {
    await this.db.query(
      `INSERT INTO login_addresses (user_id, address) VALUES ($1, $2)
       ON CONFLICT (user_id, address) DO UPDATE SET last_success_at = now()`,
      [userId, address],
    );
  }

  /**
   * The account an email key names, with whether it has signed in from `address` recently (its
   * failures from there skip the per-email limit). One statement either way, so the time taken
   * does not tell whether the email exists.
   */
  async account(
    emailKey: string,
    address: string,
  ): Promise<{ id: string; passwordHash: string; known: boolean } | undefined> {
    const rows = await this.db.query<{ id: string; password_hash: string; known: boolean }>(
      `SELECT u.id::text AS id, u.password_hash, EXISTS (
         SELECT 1 FROM login_addresses a WHERE a.user_id = u.id AND a.address = $2
           AND a.last_success_at > now() - interval '${KNOWN_FOR}') AS known
       FROM users u WHERE u.email_key = $1`,
      [emailKey, address],
      true,
    );
    const r = rows[0];
    return r && { id: r.id, passwordHash: r.password_hash, known: r.known };
  }

  /**
   * Adds one to each counter (starting a new window where the old one has ended) in one
   * statement. Keys are locked in sorted order, so concurrent statements cannot deadlock.
   */
  private async count(
    counters: readonly (readonly [Buffer, number, number])[],
  ): Promise<{ retryAfter: number; counted: Count[] }> {
    const sorted = [...counters].sort((a, b) => Buffer.compare(a[0], b[0]));
    const rows = await this.db.query<{
      key: Buffer;
      count: number;
      win: string;
      reset_in: number;
    }>(
      `INSERT INTO login_throttle AS t (key, count, reset_at)
       SELECT key, 1, now() + window_ms * interval '1 millisecond'
       FROM unnest($1::bytea[], $2::bigint[]) WITH ORDINALITY AS c(key, window_ms, i) ORDER BY i
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN t.reset_at <= now() THEN 1 ELSE t.count + 1 END,
         reset_at = CASE WHEN t.reset_at <= now() THEN excluded.reset_at ELSE t.reset_at END
       RETURNING key, count, (extract(epoch FROM reset_at) * 1000000)::bigint::text AS win,
         extract(epoch FROM reset_at - now())::float8 AS reset_in`,
      [sorted.map((c) => c[0]), sorted.map((c) => c[1])],
      true,
    );
    let retryAfter = 0;
    const counted: Count[] = [];
    for (const r of rows) {
      const limit = sorted.find((c) => c[0].equals(r.key))![2];
      const c = { key: r.key, count: r.count, window: r.win, resetIn: r.reset_in };
      if (r.count > limit) retryAfter = Math.max(retryAfter, Math.max(1, Math.ceil(c.resetIn)));
      counted.push(c);
    }
    return { retryAfter, counted };
  }

  /** Deletes ended windows and long-unused known addresses, a bounded batch at a time. */
  async sweep(): Promise<void> {
    await this.db.query(
      `DELETE FROM login_throttle WHERE key IN
         (SELECT key FROM login_throttle WHERE reset_at < now() LIMIT 10000)`,
    );
    await this.db.query(
      `DELETE FROM login_addresses WHERE ctid IN (SELECT ctid FROM login_addresses
         WHERE last_success_at < now() - interval '${KNOWN_FOR}' LIMIT 10000)`,
    );
  }
}
