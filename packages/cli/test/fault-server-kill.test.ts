import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRounds, summarize } from './support/fault-round.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';

// The real server (main.ts in a child process) SIGKILLed while a push from one of four in-process
// devices is in flight, then started again on the same port and database, FERRY_SERVER_KILL_RUNS
// times (default 10). Each round: every write acknowledged before the restart is in the database
// right after it, nothing is applied twice, every device converges (support/fault-round.ts).
// Round i runs on seed FERRY_SERVER_KILL_SEED + i (default 1).
const SEED = Number(process.env.FERRY_SERVER_KILL_SEED ?? 1);
const RUNS = Number(process.env.FERRY_SERVER_KILL_RUNS ?? 10);

let db: TestDatabase;
let server: ServerProcess;
beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServerProcess(db.url);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('the server SIGKILLed during a storm of pushes', () => {
  it(
    `${RUNS} kills lose no acknowledged write, apply none twice, and every device converges (seeds ${SEED}..${SEED + RUNS - 1})`,
    { timeout: 60_000 + RUNS * 15_000 },
    async () => {
      const reports = await runRounds(
        {
          serverUrl: server.url,
          databaseUrl: db.url,
          crash: () => server.kill(),
          restart: () => server.start(),
        },
        {
          seed: SEED,
          runs: RUNS,
          name: 'server-kill',
          seedVar: 'FERRY_SERVER_KILL_SEED',
          runsVar: 'FERRY_SERVER_KILL_RUNS',
          file: 'packages/cli/test/fault-server-kill.test.ts',
        },
      );
      console.log(`server kill (seeds ${SEED}..${SEED + RUNS - 1}): ${summarize(reports)}`);
      // Errors the server logged (a 500 is no lost write, but a code path that met something unexpected).
      if (server.errors.length > 0)
        console.log(
          `the server logged ${server.errors.length} error(s), the first: ${server.errors[0]!.slice(0, 2000)}`,
        );
      // The faults were real: most landed on a push in flight, and syncs failed during the outages.
      expect(reports.filter((r) => r.pushesAtFault > 0).length).toBeGreaterThanOrEqual(
        Math.ceil(RUNS / 2),
      );
      expect(reports.every((r) => r.syncs.failed > 0)).toBe(true);
    },
  );
});
