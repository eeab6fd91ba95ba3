/**
 * The end of a simulation (sim.ts, text-sim.ts): with the faults off, every device syncs, round
 * after round, until a round where each sync completed with nothing left to push (8 rounds at
 * most), then once more (not counted) so each pulls the others' last pushes.
 */
import { FerryError, type Ferry } from '@ferry/client';

/** A device of a simulation: its name in messages, and its engine. */
export interface SimDevice {
  name: string;
  ferry: Pick<Ferry, 'sync' | 'status'>;
}

/** What went wrong, in a line. */
export function describeError(e: unknown): string {
  if (e instanceof FerryError) return `${e.kind}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Syncs `devices` until quiet; failures go to `diffs`. Returns how many syncs it ran. */
export async function quiesce(devices: readonly SimDevice[], diffs: string[]): Promise<number> {
  let syncs = 0;
  let quiet = false;
  for (let round = 0; round < 8 && !quiet; round++) {
    const outcomes = await Promise.all(
      devices.map((d) =>
        d.ferry.sync().then(
          (o) => o,
          (e: unknown) => e,
        ),
      ),
    );
    syncs += devices.length;
    quiet = outcomes.every(
      (o, i) =>
        !(o instanceof Error) &&
        (o as { complete: boolean }).complete &&
        devices[i]!.ferry.status().pending === 0,
    );
    outcomes.forEach((o, i) => {
      if (o instanceof Error)
        diffs.push(`${devices[i]!.name}: sync failed with no faults: ${describeError(o)}`);
    });
  }
  if (!quiet) diffs.push('the devices did not quiesce within 8 rounds of syncs');
  for (const d of devices) await d.ferry.sync();
  return syncs;
}
