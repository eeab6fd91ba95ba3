import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLane, runSeed, type SimLane, type SimResult } from './support/sim.ts';
import { startTestServer, type TestServer } from './support/server.ts';

// The seeded multi-device simulation (see support/sim.ts). Knobs:
//   FERRY_SIM_SEEDS=5000   how many seeds (default 200)
//   FERRY_SIM_SEED=123     replay one seed
//   FERRY_SIM_FIRST=1      the first seed of the range
//   FERRY_SIM_CLIENTS=3, FERRY_SIM_STEPS=40, FERRY_SIM_FAULT_RATE=0.3   the size of each run
const single = process.env.FERRY_SIM_SEED;
const count = Number(process.env.FERRY_SIM_SEEDS ?? 200);
const first = Number(process.env.FERRY_SIM_FIRST ?? 1);
const seeds = single !== undefined ? [Number(single)] : Array.from({ length: count }, (_, i) => first + i);
const LANES = 3;
const CLIENTS = Number(process.env.FERRY_SIM_CLIENTS ?? 3);
const STEPS = Number(process.env.FERRY_SIM_STEPS ?? 40);
const FAULT_RATE = Number(process.env.FERRY_SIM_FAULT_RATE ?? 0.3);
const knobs = ['FERRY_SIM_CLIENTS', 'FERRY_SIM_STEPS', 'FERRY_SIM_FAULT_RATE'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]} `).join('');
const replay = (seed: number): string => `${knobs}FERRY_SIM_SEED=${seed} npx vitest run packages/cli/test/simulation.test.ts`;

let server: TestServer;
let lanes: SimLane[] = [];

beforeAll(async () => {
  server = await startTestServer();
  lanes = await Promise.all(Array.from({ length: LANES }, () => createLane(server.url, CLIENTS)));
});
afterAll(async () => {
  await Promise.all(lanes.map((l) => l.close()));
  await server?.close();
});

/** Runs seeds on the lanes concurrently (one seed per lane at a time); stops after a few failures. */
async function runAll(list: readonly number[], opts: { broken?: 'ack-without-apply' } = {}): Promise<SimResult[]> {
  const queue = [...list];
  const results: SimResult[] = [];
  let failures = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const r = await runSeed(server.url, lane, { seed, clients: CLIENTS, steps: STEPS, faultRate: FAULT_RATE, ...opts });
        results.push(r);
        if (r.diffs.length > 0 && ++failures >= 3 && !opts.broken) queue.length = 0;
      }
    }),
  );
  return results.sort((a, b) => a.seed - b.seed);
}

describe('multi-device simulation through a faulty network', () => {
  it(`converges to the model for ${seeds.length} seed(s)`, { timeout: 60_000 + seeds.length * 2_000 }, async () => {
    const results = await runAll(seeds);
    const failed = results.filter((r) => r.diffs.length > 0);
    const total = (k: 'writes' | 'syncs'): number => results.reduce((s, r) => s + r[k], 0);
    const faults: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
    console.log(`simulation: ${results.length} seeds, ${total('writes')} writes, ${total('syncs')} syncs, requests by fault: ${JSON.stringify(faults)}`);
    if (failed.length > 0) {
      const report = failed
        .map((r) => `seed ${r.seed} failed:\n  ${r.diffs.slice(0, 15).join('\n  ')}${r.diffs.length > 15 ? `\n  ... ${r.diffs.length - 15} more` : ''}\n  replay: ${replay(r.seed)}`)
        .join('\n');
      expect.fail(report);
    }
    // The faults really happened (a proxy that forwarded everything would prove nothing).
    if (seeds.length >= 20) {
      for (const f of ['drop-request', 'drop-response', 'delay', 'reset-mid-response']) expect(faults[f], f).toBeGreaterThan(0);
    }
    expect(results).toHaveLength(seeds.length);
  });

  it('catches a server that acknowledges a write without applying it (the checker can fail)', { timeout: 120_000 }, async () => {
    const results = await runAll([1, 2, 3, 4, 5, 6], { broken: 'ack-without-apply' });
    const caught = results.filter((r) => r.diffs.some((d) => d.startsWith('server vs model:')));
    expect(caught.length, 'no seed detected the lost writes').toBeGreaterThan(0);
  });
});
