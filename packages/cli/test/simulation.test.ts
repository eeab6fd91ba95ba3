import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLane, type SimLane, type SimResult } from './support/sim.ts';
import { runInProcesses } from './support/sim-procs.ts';
import {
  addResult,
  newTotals,
  runSeeds,
  type SeedOptions,
  type SimTotals,
} from './support/sim-runner.ts';
import { startTestServer, type TestServer } from './support/server.ts';

// The seeded multi-device simulation (see support/sim.ts). Knobs:
//   FERRY_SIM_SEEDS=100000 how many seeds (default 1000)
//   FERRY_SIM_SEED=123     replay one seed (in this process)
//   FERRY_SIM_FIRST=1      the first seed of the range
//   FERRY_SIM_PROCS=2      processes the seeds are spread over, each with its own server and
//                          database (default: the number of cores, at most 4)
//   FERRY_SIM_LANES=3      seeds run concurrently in each process
//   FERRY_SIM_CLIENTS=3, FERRY_SIM_STEPS=40, FERRY_SIM_FAULT_RATE=0.3   the size of each run
const single = process.env.FERRY_SIM_SEED;
const COUNT = single !== undefined ? 1 : Number(process.env.FERRY_SIM_SEEDS ?? 1000);
const FIRST = single !== undefined ? Number(single) : Number(process.env.FERRY_SIM_FIRST ?? 1);
const PROCS = Number(process.env.FERRY_SIM_PROCS ?? Math.min(4, availableParallelism()));
const LANES = Number(process.env.FERRY_SIM_LANES ?? 3);
const MAX_FAILURES = 3;
const SIZE: SeedOptions = {
  clients: Number(process.env.FERRY_SIM_CLIENTS ?? 3),
  steps: Number(process.env.FERRY_SIM_STEPS ?? 40),
  faultRate: Number(process.env.FERRY_SIM_FAULT_RATE ?? 0.3),
};
const knobs = ['FERRY_SIM_CLIENTS', 'FERRY_SIM_STEPS', 'FERRY_SIM_FAULT_RATE']
  .filter((k) => process.env[k] !== undefined)
  .map((k) => `${k}=${process.env[k]} `)
  .join('');
const replay = (seed: number): string =>
  `${knobs}FERRY_SIM_SEED=${seed} npx vitest run packages/cli/test/simulation.test.ts`;

let server: TestServer;
let lanes: SimLane[] = [];

beforeAll(async () => {
  server = await startTestServer();
  lanes = await Promise.all(
    Array.from({ length: LANES }, () => createLane(server.url, SIZE.clients)),
  );
});
afterAll(async () => {
  await Promise.all(lanes.map((l) => l.close()));
  await server?.close();
});

/** Runs seeds in this process (a replay, or FERRY_SIM_PROCS=1); stops after a few failures unless `broken`. */
async function runHere(seeds: readonly number[], opts: SeedOptions = SIZE): Promise<SimTotals> {
  const totals = newTotals();
  await runSeeds(
    server.url,
    lanes,
    seeds,
    opts,
    (r) => addResult(totals, r),
    () => !opts.broken && totals.failed.length >= MAX_FAILURES,
  );
  return totals;
}

function report(failed: readonly SimResult[]): string {
  return [...failed]
    .sort((a, b) => a.seed - b.seed)
    .map(
      (r) =>
        `seed ${r.seed} failed:\n  ${r.diffs.slice(0, 15).join('\n  ')}${r.diffs.length > 15 ? `\n  ... ${r.diffs.length - 15} more` : ''}\n  replay: ${replay(r.seed)}`,
    )
    .join('\n');
}

describe('multi-device simulation through a faulty network', () => {
  const where = single !== undefined || PROCS <= 1 ? 'in this process' : `in ${PROCS} processes`;
  it(
    `converges to the model for ${COUNT} seed(s) from ${FIRST}, ${where}`,
    { timeout: 60_000 + COUNT * 2_000 },
    async () => {
      const started = Date.now();
      let totals = newTotals();
      if (single !== undefined || PROCS <= 1) {
        totals = await runHere(Array.from({ length: COUNT }, (_, i) => FIRST + i));
      } else {
        await runInProcesses(
          { first: FIRST, count: COUNT },
          { procs: PROCS, lanes: LANES, seed: SIZE, maxFailures: MAX_FAILURES },
          (r) => addResult(totals, r),
        );
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `simulation: ${totals.seeds} seeds ${where} (${LANES} lanes each) in ${secs} s, ${totals.writes} writes, ${totals.syncs} syncs, requests by fault: ${JSON.stringify(totals.faults)}`,
      );
      if (totals.failed.length > 0) expect.fail(report(totals.failed));
      // The faults really happened (a proxy that forwarded everything would prove nothing).
      if (COUNT >= 20) {
        for (const f of ['drop-request', 'drop-response', 'delay', 'reset-mid-response'])
          expect(totals.faults[f], f).toBeGreaterThan(0);
      }
      expect(totals.seeds).toBe(COUNT);
    },
  );

  it(
    'catches a server that acknowledges a write without applying it (the checker can fail)',
    { timeout: 120_000 },
    async () => {
      const totals = await runHere([1, 2, 3, 4, 5, 6], { ...SIZE, broken: 'ack-without-apply' });
      const caught = totals.failed.filter((r) =>
        r.diffs.some((d) => d.startsWith('server vs model:')),
      );
      expect(caught.length, 'no seed detected the lost writes').toBeGreaterThan(0);
    },
  );
});
