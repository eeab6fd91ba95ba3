import { runSeed, type SimConfig, type SimLane, type SimResult } from './sim.ts';

/** The size of every seed's run (SimConfig without the seed). */
export type SeedOptions = Omit<SimConfig, 'seed'>;

/**
 * A share of a seed range: the seeds `first + offset + k * stride` below `first + count`. With
 * `stride` processes taking offsets 0..stride-1, every seed of the range runs exactly once.
 */
export interface SeedShare {
  first: number;
  count: number;
  offset: number;
  stride: number;
}

export function* shareSeeds(s: SeedShare): Generator<number> {
  for (let seed = s.first + s.offset; seed < s.first + s.count; seed += s.stride) yield seed;
}

/**
 * Runs `seeds` on the lanes concurrently (one seed per lane at a time), handing each result to
 * `onResult`; a lane takes no new seed once `stop()` is true.
 */
export async function runSeeds(
  serverUrl: string,
  lanes: readonly SimLane[],
  seeds: Iterable<number>,
  opts: SeedOptions,
  onResult: (r: SimResult) => void,
  stop: () => boolean = () => false,
): Promise<void> {
  const it = seeds[Symbol.iterator]();
  await Promise.all(
    lanes.map(async (lane) => {
      for (let n = it.next(); !n.done && !stop(); n = it.next())
        onResult(await runSeed(serverUrl, lane, { ...opts, seed: n.value }));
    }),
  );
}

/** What a run of many seeds adds up to; only the failed seeds are kept whole. */
export interface SimTotals {
  seeds: number;
  writes: number;
  syncs: number;
  faults: Record<string, number>;
  failed: SimResult[];
}

export function newTotals(): SimTotals {
  return { seeds: 0, writes: 0, syncs: 0, faults: {}, failed: [] };
}

export function addResult(t: SimTotals, r: SimResult): void {
  t.seeds += 1;
  t.writes += r.writes;
  t.syncs += r.syncs;
  for (const [k, v] of Object.entries(r.faults)) t.faults[k] = (t.faults[k] ?? 0) + v;
  if (r.diffs.length > 0) t.failed.push(r);
}
