import type { Database } from '../db/database.ts';

/**
 * The NOTIFY channel every push writes `userId:position` to. Revocations go on it too, as
 * `revoke:userId:tokenHashHex`, or `revoke:userId:*` for all of a user's tokens; a process that
 * predates them reads them as pokes for a user named `revoke:…`, who never has a listener.
 */
export const POKE_CHANNEL = 'ferry_poke';
/** The start of a revocation's payload. */
export const REVOKE_PREFIX = 'revoke:';

type Listener = (cursor: string) => void;
/** `certain` is false after the LISTEN connection was lost: a revocation may have been missed. */
type RevocationListener = (certain: boolean) => void;
interface RevocationWatch {
  readonly tokenHashHex: string;
  readonly onRevoked: RevocationListener;
}

/**
 * Fans pokes out to this process's SSE streams. One LISTEN connection per process: any server
 * process on the same database that commits a push notifies every process, so every process
 * pokes its own listeners.
 */
export class PokeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly revocations = new Map<string, Set<RevocationWatch>>();
  private release: (() => Promise<void>) | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly log: (msg: string, err?: unknown) => void,
  ) {}

  /** Opens the LISTEN connection. */
  async start(): Promise<void> {
    this.release = await this.db.listen(
      POKE_CHANNEL,
      (p) => this.dispatch(p),
      (err) => this.reconnect(err),
    );
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
   * by any server process on the database, and `onRevoked(false)` once the LISTEN connection is
   * back after a loss (the caller checks the token itself); returns the unsubscribe.
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
    clearTimeout(this.retry);
    const r = this.release;
    this.release = undefined;
    if (r) await r().catch(() => undefined);
  }

  private dispatch(payload: string): void {
    if (payload.startsWith(REVOKE_PREFIX)) {
      this.revoked(payload.slice(REVOKE_PREFIX.length));
      return;
    }
    const i = payload.lastIndexOf(':');
    if (i < 0) return;
    const set = this.listeners.get(payload.slice(0, i));
    if (!set) return;
    const cursor = payload.slice(i + 1);
    for (const fn of [...set]) fn(cursor);
  }

  private revoked(rest: string): void {
    const i = rest.lastIndexOf(':');
    if (i < 0) return;
    const set = this.revocations.get(rest.slice(0, i));
    if (!set) return;
    const which = rest.slice(i + 1);
    for (const w of [...set]) if (which === '*' || which === w.tokenHashHex) w.onRevoked(true);
  }

  private reconnect(err: unknown): void {
    if (this.closed) return;
    this.log('LISTEN connection lost; reconnecting', err);
    const old = this.release;
    this.release = undefined;
    if (old) void old().catch(() => undefined);
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.start().then(
        () => {
          for (const set of [...this.revocations.values()])
            for (const w of [...set]) w.onRevoked(false);
        },
        (e: unknown) => this.reconnect(e),
      );
    }, 1000);
  }
}
