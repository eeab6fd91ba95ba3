import { notes, type TableDecl, ferrySchema } from '@ferry/protocol';
import { createServer } from '@ferry/server';
import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLane, type SimLane } from './support/sim.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { runTextSeed, type TextSimConfig, type TextSimResult } from './support/text-sim.ts';

// The seeded text-merge simulation (see support/text-sim.ts). Knobs:
//   FERRY_TEXT_SIM_SEEDS=2000  how many seeds (default 200)
//   FERRY_TEXT_SIM_SEED=123    replay one seed
//   FERRY_TEXT_SIM_FIRST=1     the first seed of the range
//   FERRY_TEXT_SIM_LANES=4     seeds run concurrently
//   FERRY_TEXT_SIM_DEVICES=4, FERRY_TEXT_SIM_STEPS=40, FERRY_TEXT_SIM_FAULT_RATE=0.3
const single = process.env.FERRY_TEXT_SIM_SEED;
const COUNT = single !== undefined ? 1 : Number(process.env.FERRY_TEXT_SIM_SEEDS ?? 200);
const FIRST = single !== undefined ? Number(single) : Number(process.env.FERRY_TEXT_SIM_FIRST ?? 1);
const LANES = Number(process.env.FERRY_TEXT_SIM_LANES ?? 4);
const SIZE: Omit<TextSimConfig, 'seed'> = {
  devices: Number(process.env.FERRY_TEXT_SIM_DEVICES ?? 4),
  steps: Number(process.env.FERRY_TEXT_SIM_STEPS ?? 40),
  faultRate: Number(process.env.FERRY_TEXT_SIM_FAULT_RATE ?? 0.3),
};
const replay = (seed: number): string =>
  `FERRY_TEXT_SIM_SEED=${seed} npx vitest run packages/cli/test/text-simulation.test.ts`;

let server: TestServer;
let lanes: SimLane[] = [];
beforeAll(async () => {
  server = await startTestServer();
  lanes = await Promise.all(
    Array.from({ length: LANES }, () => createLane(server.url, SIZE.devices)),
  );
});
afterAll(async () => {
  await Promise.all(lanes.map((l) => l.close()));
  await server?.close();
});

/** Runs seeds over the lanes (one seed per lane at a time); stops taking seeds after `maxFailed`. */
async function run(
  url: string,
  seeds: number[],
  opts: Omit<TextSimConfig, 'seed'>,
  maxFailed: number,
): Promise<TextSimResult[]> {
  const results: TextSimResult[] = [];
  const queue = [...seeds];
  const failed = (): number => results.filter((r) => r.diffs.length > 0).length;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let s = queue.shift(); s !== undefined && failed() < maxFailed; s = queue.shift()) {
        for (const p of lane.proxies) p.setTarget(url);
        results.push(await runTextSeed(url, lane, { ...opts, seed: s }));
      }
    }),
  );
  return results;
}

function report(failed: readonly TextSimResult[]): string {
  return [...failed]
    .sort((a, b) => a.seed - b.seed)
    .map(
      (r) =>
        `seed ${r.seed} failed:\n  ${r.diffs.slice(0, 10).join('\n  ')}\n  replay: ${replay(r.seed)}`,
    )
    .join('\n');
}

describe('text-merge simulation through a faulty network', () => {
  it(
    `every device converges and no word is lost, ${COUNT} seed(s) from ${FIRST}`,
    { timeout: 60_000 + COUNT * 3_000 },
    async () => {
      const started = Date.now();
      const seeds = Array.from({ length: COUNT }, (_, i) => FIRST + i);
      const results = await run(server.url, seeds, SIZE, 3);
      const failed = results.filter((r) => r.diffs.length > 0);
      const words = results.reduce((n, r) => n + r.inserted, 0);
      const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
      console.log(
        `text simulation: seeds ${FIRST}..${FIRST + COUNT - 1} (${results.length} run, ${LANES} lanes) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${words} words inserted, ${conflicts} open conflicts at the end, ${failed.length} failed`,
      );
      if (failed.length > 0) expect.fail(report(failed));
      expect(results).toHaveLength(COUNT);
      // The runs really merged concurrent edits: some overlapped (else the oracle proved little).
      if (COUNT >= 50) expect(conflicts).toBeGreaterThan(0);
    },
  );

  it('the oracle fails on last-writer-wins text (the control)', { timeout: 120_000 }, async () => {
    const lww: TableDecl = {
      ...notes,
      fields: { ...notes.fields, content: { ...notes.fields.content!, merge: 'lww' } },
    };
    let db: TestDatabase | undefined;
    let lwwServer: Awaited<ReturnType<typeof createServer>> | undefined;
    try {
      db = await createTestDatabase();
      lwwServer = await createServer({
        ...ferrySchema,
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        databaseUrl: db.url,
        tables: [lww],
      });
      const results = await run(
        lwwServer.url,
        [1, 2, 3, 4, 5, 6, 7, 8],
        { ...SIZE, tables: [lww] },
        8,
      );
      const lost = results.filter((r) => r.diffs.some((d) => d.includes('is lost')));
      console.log(
        `control (last writer wins): ${lost.length} of ${results.length} seeds lost words, e.g. ${lost[0]?.diffs[0] ?? 'none'}`,
      );
      expect(lost.length).toBeGreaterThan(0);
    } finally {
      for (const l of lanes) for (const p of l.proxies) p.setTarget(server.url);
      await lwwServer?.close();
      await db?.drop();
    }
  });
});
