import type { Database } from '../db/database.ts';

/** The NOTIFY channel every push writes `userId:position` to. */
export const POKE_CHANNEL = 'ferry_poke';

type Listener = (cursor: string) => void;

/**
 * Fans pokes out to this process's SSE streams. One LISTEN connection per process: any server
 * process on the same database that commits a push notifies every process, so every process
 * pokes its own listeners.
 */
export class PokeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
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
    const i = payload.lastIndexOf(':');
    if (i < 0) return;
    const set = this.listeners.get(payload.slice(0, i));
    if (!set) return;
    const cursor = payload.slice(i + 1);
    for (const fn of [...set]) fn(cursor);
  }

  private reconnect(err: unknown): void {
    if (this.closed) return;
    this.log('LISTEN connection lost; reconnecting', err);
    const old = this.release;
    this.release = undefined;
    if (old) void old().catch(() => undefined);
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.start().catch((e: unknown) => this.reconnect(e));
    }, 1000);
  }
}
