import { HlcClock, hlcNode, isHlc, type Hlc } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { StateKey, getState, setState } from './state.ts';

/**
 * The device's HLC, persisted in app_state inside the same transaction as the write it stamps,
 * so a stamp is never reused after a restart. Re-reading the stored stamp first keeps stamps
 * increasing even when two processes share one database file.
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

  /** A fresh stamp for a local write, persisted in `tx`. */
  async stamp(tx: SqlTx): Promise<Hlc> {
    await this.catchUp(tx);
    const h = this.clock.now();
    await setState(tx, StateKey.hlc, h);
    return h;
  }

  /**
   * `n` fresh stamps for a batch of local writes, strictly increasing; only the last is
   * persisted in `tx` (every stamp of the batch commits or none does, so the last one bounds them all).
   */
  async stampMany(tx: SqlTx, n: number): Promise<Hlc[]> {
    await this.catchUp(tx);
    const out: Hlc[] = [];
    for (let i = 0; i < n; i++) out.push(this.clock.now());
    if (n > 0) await setState(tx, StateKey.hlc, out[n - 1]!);
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
