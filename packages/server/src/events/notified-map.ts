/**
 * A map of database state that is kept exact by notifications: an entry is dropped when a
 * NOTIFY says its key changed, and everything is dropped when notifications may have been missed
 * (the LISTEN connection was lost). What makes it exact is the order of reads and notifications:
 *
 * - A read of the database starts with `begin()`, and its answer is kept (`fill`) only if no
 *   notification for that key arrived since, and the LISTEN connection was up for the whole read.
 *   A notification that arrives later is for a commit the read may not have seen, and drops it.
 * - After a LISTEN (re)connects, only reads begun after it may fill: a read begun earlier may
 *   have missed a commit whose notification went to no one.
 *
 * So an entry is never older than the notifications this process has received; how fresh those
 * are is the hub's business (see `PokeHub.trusted`).
 */
export class NotifiedMap<K, V> {
  private readonly entries = new Map<K, V>();
  /** When each key was last dropped by a notification (ticks); pruned by moving `floor`. */
  private readonly dropped = new Map<K, number>();
  private tick = 0;
  /** Reads begun before this tick may not fill. */
  private floor = 1;
  private live = false;

  /** `maxEntries` bounds memory; past it the oldest entry is dropped. */
  constructor(private readonly maxEntries: number) {}

  /** The kept value, if any. The caller decides whether the notifications are fresh enough. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Marks the start of a database read whose answer may be kept. */
  begin(): number {
    return this.tick;
  }

  /**
   * Keeps a read's answer, `make(current)`, unless a notification for the key or a lost LISTEN
   * connection since `begun` made it suspect.
   */
  fill(key: K, begun: number, make: (current: V | undefined) => V): void {
    if (!this.live || begun < this.floor || (this.dropped.get(key) ?? 0) > begun) return;
    const current = this.entries.get(key);
    if (current === undefined && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, make(current));
  }

  /** A notification said the state behind `key` changed. */
  drop(key: K): void {
    this.entries.delete(key);
    this.dropped.set(key, ++this.tick);
    if (this.dropped.size > this.maxEntries) {
      // Reads begun before the new floor may not fill at all, so the marks can go.
      this.dropped.clear();
      this.floor = ++this.tick;
    }
  }

  /**
   * Forgets everything; `live` says whether notifications are now being received. Called when
   * the LISTEN connection is lost (false) and when it is back (true).
   */
  reset(live: boolean): void {
    this.live = live;
    this.forgetAll();
  }

  /**
   * Drops every entry `which` picks, and refuses every read under way (one of them may be of a
   * key picked here that has no entry yet). A scan: for rare events.
   */
  dropWhere(which: (value: V) => boolean): void {
    for (const [k, v] of this.entries) if (which(v)) this.entries.delete(k);
    this.floor = ++this.tick;
  }

  /** Forgets every entry, and every read under way. */
  forgetAll(): void {
    this.entries.clear();
    this.dropped.clear();
    this.floor = ++this.tick;
  }

  /** Entries kept, for metrics. */
  get size(): number {
    return this.entries.size;
  }
}
