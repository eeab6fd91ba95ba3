import { errorName, sleep, type Device, type Fleet } from './fleet.ts';
import type { Rng } from './prng.ts';

/**
 * A storm of pushes: every device of a fleet, concurrently, makes one to three local writes to
 * its own notes and syncs, again and again, until stopped. Sync failures are expected while the
 * server side is down: they are tallied and the device tries again a few milliseconds later.
 */
export interface Storm {
  /** Devices inside `sync()` right now. */
  inFlight(): number;
  /** Devices inside `sync()` with changes queued (a push, not just a pull). */
  pushesInFlight(): number;
  /** Stops every device's loop and waits for it (the sync under way finishes or fails). */
  stop(): Promise<void>;
  readonly syncs: { ok: number; failed: number };
  /** Sync failures by error code. */
  readonly errors: Record<string, number>;
}

/** Starts the storm; each device draws from its own fork of `rng`. */
export function startStorm(fleet: Fleet, rng: Rng, tag: string): Storm {
  let stopped = false;
  const syncing = new Set<Device>();
  const syncs = { ok: 0, failed: 0 };
  const errors: Record<string, number> = {};
  const loop = async (d: Device, r: Rng): Promise<void> => {
    let n = 0;
    while (!stopped) {
      for (let k = 1 + r.int(3); k > 0; k--) await randomWrite(d, r, `${tag}-${d.name}-${n++}`);
      syncing.add(d);
      try {
        await d.ferry.sync();
        syncs.ok += 1;
      } catch (e) {
        syncs.failed += 1;
        errors[errorName(e)] = (errors[errorName(e)] ?? 0) + 1;
        await sleep(5 + r.int(20));
      } finally {
        syncing.delete(d);
      }
      await sleep(r.int(4));
    }
  };
  const loops = fleet.devices.map((d) => loop(d, rng.fork(`${tag}-${d.name}`)));
  return {
    inFlight: () => syncing.size,
    pushesInFlight: () => [...syncing].filter((d) => d.ferry.status().pending > 0).length,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
    syncs,
    errors,
  };
}

/** One write to one of the device's own notes: create, edit, delete or restore. */
async function randomWrite(d: Device, rng: Rng, label: string): Promise<void> {
  const r = rng.next();
  if (d.own.length < 3 || r < 0.3) {
    d.own.push(
      (await d.ferry.tables.notes.create({ title: `t ${label}`, content: `c ${label}` })).id,
    );
    return;
  }
  const id = rng.pick(d.own);
  if (r < 0.8) {
    const which = rng.int(3);
    await d.ferry.tables.notes.update(id, {
      ...(which !== 1 ? { title: `t ${label}` } : {}),
      ...(which !== 0 ? { content: `c ${label}` } : {}),
    });
  } else if (r < 0.9) {
    await d.ferry.tables.notes.remove(id);
  } else {
    await d.ferry.tables.notes.restore(id);
  }
}
