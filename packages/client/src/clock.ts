import { HlcClock, hlcNode, isHlc, type Hlc } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { StateKey, getState, setState } from './state.ts';

/**
 * Stores the last stamp of a batch unless the stored one is as late as its first or later (text
 * order is HLC order); returns a row only when it stored it. Parameters: the key, the last stamp,
 * the first stamp.
 */
const STAMP_SQL = `INSERT INTO app_state (key, value) VALUES (?, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE ? > app_state.value
  RETURNING value`;

/**
 * The device's HLC, persisted in app_state inside the same transaction as the write it stamps,
 * so a stamp is never reused after a restart. The stamp is kept in memory; a local write stores
 * its stamp with one statement that writes only when the stored one is lower (`STAMP_SQL`), so
 * two processes sharing one database file still stamp in increasing order: when another one
 * stored a later stamp, the stamp is taken again after it. A rolled-back transaction leaves the
 * memory ahead of the database, which is harmless: those stamps were never stored anywhere.
 */
export class PersistentClock {
  private clock: HlcClock;

  constructor(
    clientId: string,
    private readonly now: () => number,
    last: string | null,
  ) {
    this.clock = new HlcClock(
      hlcNode(clientId),
      now,
      last !== null && isHlc(last) ? last : undefined,
    );
  }

  /** After the clientId changed: stamp with its node from now on, never below what was stamped. */
  rekey(clientId: string): void {
    this.clock = new HlcClock(hlcNode(clientId), this.now, this.clock.last());
  }

  /** A fresh stamp for a local write, persisted in `tx`: one statement. */
  async stamp(tx: SqlTx): Promise<Hlc> {
    return (await this.stampMany(tx, 1))[0]!;
  }

  /**
   * `n` fresh stamps for a batch of local writes, strictly increasing; only the last is
   * persisted in `tx` (every stamp of the batch commits or none does, so the last one bounds them all).
   */
  async stampMany(tx: SqlTx, n: number): Promise<Hlc[]> {
    if (n <= 0) return [];
    const out = this.next(n);
    if ((await tx.all(STAMP_SQL, [StateKey.hlc, out[n - 1]!, out[0]!])).length > 0) return out;
    // Another process sharing the file stored a stamp at or after ours: stamp after it.
    await this.catchUp(tx);
    const again = this.next(n);
    await setState(tx, StateKey.hlc, again[n - 1]!);
    return again;
  }

  private next(n: number): Hlc[] {
    const out: Hlc[] = [];
    for (let i = 0; i < n; i++) out.push(this.clock.now());
    return out;
  }

  /** Folds in a stamp from the server (receive rule), persisted in `tx`. */
  async receive(tx: SqlTx, remote: string): Promise<void> {
    await this.catchUp(tx);
    if (isHlc(remote)) this.clock.receive(remote);
    await setState(tx, StateKey.hlc, this.clock.last());
  }

  private async catchUp(tx: SqlTx): Promise<void> {
    const stored = await getState(tx, StateKey.hlc);
    if (stored !== null && isHlc(stored) && stored > this.clock.last()) this.clock.receive(stored);
  }
}
