import type { Queryable } from '../db/database.ts';
import type { PokeHub } from '../events/poke-hub.ts';
import { NotifiedMap } from '../events/notified-map.ts';
import { liveToken, policyParams, tokenHashHex, touchEveryMs, type TokenPolicy } from './tokens.ts';

/** A live token as this process last read it; times are `performance.now()` milliseconds. */
interface TokenEntry {
  /** Whose it is, as `userFor` answers. */
  readonly owner: TokenOwner;
  /** It stops working here unless used again (a use elsewhere only moves the true time later). */
  readonly idleUntil: number;
  readonly lifeUntil: number;
  /** When `last_used_at` is due to be written again. */
  touchAt: number;
}

const live = liveToken('$1', 2);
/**
 * The user of a live token, how long ago it was last used (after this use, which is recorded at
 * most once per `touchEveryMs`) and how old it is, by the database's clock.
 */
const LOAD_TOKEN = `WITH t AS (SELECT user_id, device_name, last_used_at, created_at FROM tokens WHERE ${live.where}),
      touch AS (UPDATE tokens SET last_used_at = now()
                WHERE ${live.where} AND ${live.touch} RETURNING last_used_at)
 SELECT user_id::text AS user_id, device_name,
        extract(epoch FROM now() - GREATEST(t.last_used_at, (SELECT last_used_at FROM touch)))::float8
          * 1000 AS idle_for,
        extract(epoch FROM now() - t.created_at)::float8 * 1000 AS age
 FROM t`;

/** Whose a live token is: the user, and the device name its login gave (null: none). */
export interface TokenOwner {
  readonly userId: string;
  readonly deviceName: string | null;
}

/** A row of `LOAD_TOKEN`. */
interface LoadedToken {
  user_id: string;
  device_name: string | null;
  idle_for: number;
  age: number;
}

/**
 * Resolves bearer tokens to users. Live tokens are kept in memory by hash (never the token
 * itself) and answered without a query while the poke hub is trusted: a revocation, from any
 * process or by hand in SQL, notifies (a trigger on `tokens`) and drops the entry; a lost LISTEN
 * connection drops them all. Expiry is checked against the times read with the entry, which can
 * only be earlier than the truth (another process's use moves `last_used_at` later), and an entry
 * that looks expired is read again. `last_used_at` is rewritten in the background when due.
 */
export class TokenCache {
  private readonly map: NotifiedMap<string, TokenEntry>;
  /** Tokens answered from memory, and read from the database, so far (for metrics). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly db: Queryable,
    private readonly policy: TokenPolicy,
    private readonly hub: PokeHub,
    /** False reads the database on every request (`FERRY_IDLE_CACHE=0`). */
    private readonly enabled: boolean,
    maxEntries = 100_000,
  ) {
    this.map = new NotifiedMap(maxEntries);
    hub.observe({
      userChanged: () => undefined,
      tokenChanged: (userId, which) =>
        which === '*' ? this.forgetUser(userId) : this.map.drop(which),
      reset: (isLive) => this.map.reset(isLive),
    });
  }

  /**
   * The user a live token belongs to (and the device name its login gave), or null when it is
   * unknown, revoked, idle too long or too old.
   */
  async userFor(token: string): Promise<TokenOwner | null> {
    return this.resolve(token);
  }

  /**
   * `userFor`'s answer, at once when memory has it (a live token, while notifications are
   * trusted: no promise to wait for), else a promise of the database's answer.
   */
  resolve(token: string): TokenOwner | Promise<TokenOwner | null> {
    const key = tokenHashHex(token);
    return this.remembered(key) ?? this.miss(key);
  }

  private remembered(key: string): TokenOwner | undefined {
    if (!this.enabled) return undefined;
    const now = performance.now();
    if (!this.hub.trusted(now)) return undefined;
    const e = this.map.get(key);
    if (e === undefined || now >= e.idleUntil || now >= e.lifeUntil) return undefined;
    if (now >= e.touchAt) this.touch(key, e);
    this.hits++;
    return e.owner;
  }

  private miss(key: string): Promise<TokenOwner | null> {
    this.misses++;
    return this.load(key);
  }

  /** Forgets a token this process just revoked, before its notification comes back. */
  forget(token: string): void {
    this.map.drop(tokenHashHex(token));
  }

  /** Forgets every token of a user (this process just revoked them all). */
  forgetUser(userId: string): void {
    this.map.dropWhere((e) => e.owner.userId === userId);
  }

  /** Tokens kept, for metrics. */
  get size(): number {
    return this.map.size;
  }

  private async load(key: string): Promise<TokenOwner | null> {
    const begun = this.map.begin();
    const sent = performance.now();
    const rows = await this.db.query<LoadedToken>(
      LOAD_TOKEN,
      [Buffer.from(key, 'hex'), ...policyParams(this.policy)],
      true,
    );
    const r = rows[0];
    if (r === undefined) return null;
    if (this.enabled) this.map.fill(key, begun, () => this.entry(r, sent));
    return { userId: r.user_id, deviceName: r.device_name };
  }

  /** Times counted from when the query was sent, so they err early. */
  private entry(r: LoadedToken, sent: number): TokenEntry {
    const { tokenIdleMs: idle, tokenLifetimeMs: life } = this.policy;
    return {
      owner: { userId: r.user_id, deviceName: r.device_name },
      idleUntil: idle === 0 ? Infinity : sent + idle - r.idle_for,
      lifeUntil: life === 0 ? Infinity : sent + life - r.age,
      touchAt: sent + touchEveryMs(this.policy) - r.idle_for,
    };
  }

  /** Records the use in the database without holding up the request; reading it again refreshes the entry. */
  private touch(key: string, e: TokenEntry): void {
    e.touchAt = Infinity;
    this.load(key).then(
      (user) => user === null && this.map.drop(key),
      () => (e.touchAt = performance.now() + 1000),
    );
  }
}
