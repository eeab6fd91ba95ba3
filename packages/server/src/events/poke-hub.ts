import type { Database, Listening } from '../db/database.ts';

/**
 * The NOTIFY channel of every change another server process must hear of:
 *
 * - `userId:position`: a push moved the user's position (event streams are poked with it);
 * - `user:userId`: a push changed the user's HLC or a client's seq but not the position;
 * - `revoke:userId:tokenHashHex`: a token was revoked or deleted (`revoke:userId:*`, all of the
 *   user's tokens, is what older servers sent);
 * - `token:userId:tokenHashHex`: a token's row changed otherwise (its times were rewritten).
 *
 * The token payloads come from a trigger on `tokens` (migration 6), so a revocation notifies
 * however it is made. A process that predates a prefix reads it as a poke for a user named
 * `user`, `revoke` or `token`, who never has a listener.
 */
export const POKE_CHANNEL = 'ferry_poke';
/** The start of a revocation's payload. */
export const REVOKE_PREFIX = 'revoke:';
/** The start of the payload of a token change that is not a revocation. */
export const TOKEN_PREFIX = 'token:';
/** The start of the payload of a user's state change that did not move the position. */
export const USER_PREFIX = 'user:';

/** How long after a lost LISTEN connection the hub tries again. */
const RETRY_MS = 1000;
/**
 * A check unanswered this long (or 10 checks' time) counts as a lost connection. Long, because a
 * reconnect empties the caches and makes every event stream check its token: on a busy machine a
 * slow answer is not a dead connection. Nothing waits for it: memory stops being trusted after
 * `2 × checkMs` without an answer anyway.
 */
const LOST_AFTER_MS = 5000;

type Listener = (cursor: string) => void;
/** `certain` is false when the token may have changed (or a revocation may have been missed). */
type RevocationListener = (certain: boolean) => void;
interface RevocationWatch {
  readonly tokenHashHex: string;
  readonly onRevoked: RevocationListener;
}

/** What the in-memory copies of database state (see notified-map.ts) hear from the hub. */
export interface HubObserver {
  /** A push changed the user's position, HLC or a client's seq. */
  userChanged(userId: string): void;
  /** The token with this hash (or, for `*`, any token of the user) was revoked or changed. */
  tokenChanged(userId: string, tokenHashHex: string): void;
  /** Notifications are now received (`true`, after LISTEN), or may be missed (`false`). */
  reset(live: boolean): void;
}

/**
 * Fans notifications out: pokes to this process's SSE streams, revocations to their watchers,
 * and every change to the observers (the caches) first. One LISTEN connection per process: a
 * commit on any server process on the same database notifies every process.
 *
 * The connection is checked every `checkMs` (a round trip on it, see `Listening.check`);
 * `trusted()` says whether one came back recently enough that every notification of a commit more
 * than `2 × checkMs` ago has arrived, even if the connection died without an error.
 */
export class PokeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly revocations = new Map<string, Set<RevocationWatch>>();
  private readonly observers: HubObserver[] = [];
  private conn: Listening | undefined;
  /** Bumped per connection attempt, so only the current connection's loss counts. */
  private generation = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private checker: NodeJS.Timeout | undefined;
  private checking = false;
  /** When the last check that came back was sent (`performance.now()`). */
  private checkedAt = -Infinity;

  constructor(
    private readonly db: Database,
    private readonly log: (msg: string, err?: unknown) => void,
    private readonly checkMs = 500,
  ) {}

  /** Opens the LISTEN connection. */
  async start(): Promise<void> {
    const gen = ++this.generation;
    const sent = performance.now();
    const conn = await this.db.listen(
      POKE_CHANNEL,
      (p) => this.dispatch(p),
      (err) => this.lost(gen, err),
    );
    if (this.closed || gen !== this.generation) {
      await conn.release().catch(() => undefined);
      return;
    }
    this.conn = conn;
    this.checkedAt = sent;
    for (const o of this.observers) o.reset(true);
    clearInterval(this.checker);
    this.checker = setInterval(() => this.check(gen), this.checkMs);
    this.checker.unref();
  }

  /** Adds an observer; it is told `reset(true)` now if the connection is up. */
  observe(o: HubObserver): void {
    this.observers.push(o);
    o.reset(this.conn !== undefined);
  }

  /**
   * True when notifications are being received and the connection answered a check sent within
   * the last `2 × checkMs`: a cached answer is then at most that old, and usually as old as one
   * notification's delivery.
   */
  trusted(now = performance.now()): boolean {
    return this.conn !== undefined && now - this.checkedAt <= 2 * this.checkMs;
  }

  /** Calls `fn` with the user's new position whenever it moves; returns the unsubscribe. */
  subscribe(userId: string, fn: Listener): () => void {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(userId) === set) this.listeners.delete(userId);
    };
  }

  /**
   * Calls `onRevoked(true)` when the token with this hash (or every token of the user) is revoked,
   * by any server process on the database, and `onRevoked(false)` when its row changed otherwise
   * or once the LISTEN connection is back after a loss (the caller checks the token itself);
   * returns the unsubscribe.
   */
  watchRevocation(userId: string, tokenHashHex: string, onRevoked: RevocationListener): () => void {
    let set = this.revocations.get(userId);
    if (!set) this.revocations.set(userId, (set = new Set()));
    const watch = { tokenHashHex, onRevoked };
    set.add(watch);
    return () => {
      set.delete(watch);
      if (set.size === 0 && this.revocations.get(userId) === set) this.revocations.delete(userId);
    };
  }

  /** Open streams, for metrics. */
  size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Closes the LISTEN connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.retry);
    clearInterval(this.checker);
    for (const o of this.observers) o.reset(false);
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.release().catch(() => undefined);
  }

  private dispatch(payload: string): void {
    if (payload.startsWith(REVOKE_PREFIX))
      return this.token(payload.slice(REVOKE_PREFIX.length), true);
    if (payload.startsWith(TOKEN_PREFIX))
      return this.token(payload.slice(TOKEN_PREFIX.length), false);
    if (payload.startsWith(USER_PREFIX)) {
      for (const o of this.observers) o.userChanged(payload.slice(USER_PREFIX.length));
      return;
    }
    const i = payload.lastIndexOf(':');
    if (i < 0) return;
    const userId = payload.slice(0, i);
    // The caches first: a stream poked here may sync through this process at once.
    for (const o of this.observers) o.userChanged(userId);
    const set = this.listeners.get(userId);
    if (!set) return;
    const cursor = payload.slice(i + 1);
    for (const fn of [...set]) fn(cursor);
  }

  private token(rest: string, revoked: boolean): void {
    const i = rest.lastIndexOf(':');
    if (i < 0) return;
    const userId = rest.slice(0, i);
    const which = rest.slice(i + 1);
    for (const o of this.observers) o.tokenChanged(userId, which);
    const set = this.revocations.get(userId);
    if (!set) return;
    for (const w of [...set]) if (which === '*' || which === w.tokenHashHex) w.onRevoked(revoked);
  }

  private check(gen: number): void {
    const conn = this.conn;
    if (conn === undefined || this.checking || gen !== this.generation) return;
    this.checking = true;
    const sent = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the LISTEN connection did not answer a check')),
        Math.max(10 * this.checkMs, LOST_AFTER_MS),
      );
    });
    Promise.race([conn.check(), timeout])
      .then(
        () => {
          if (gen === this.generation) this.checkedAt = Math.max(this.checkedAt, sent);
        },
        (err: unknown) => this.lost(gen, err),
      )
      .finally(() => {
        clearTimeout(timer);
        this.checking = false;
      });
  }

  /** The connection of attempt `gen` failed (an error, a failed check, or it could not open). */
  private lost(gen: number, err: unknown): void {
    if (this.closed || gen !== this.generation) return;
    this.generation++;
    this.log('LISTEN connection lost; reconnecting', err);
    clearInterval(this.checker);
    const old = this.conn;
    this.conn = undefined;
    // Notifications may be missed from now on: nothing cached may be trusted or kept.
    for (const o of this.observers) o.reset(false);
    if (old) void old.release().catch(() => undefined);
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.start().then(
        () => {
          for (const set of [...this.revocations.values()])
            for (const w of [...set]) w.onRevoked(false);
        },
        (e: unknown) => this.lost(this.generation, e),
      );
    }, RETRY_MS);
  }
}
