import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@ferry/server';
import { faultRound, runRounds, summarize, type RoundReport } from './support/fault-round.ts';
import { mulberry32 } from './support/prng.ts';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.ts';
import { startTestServer, type TestServer } from './support/server.ts';

// PostgreSQL stopped with `pg_ctl -m immediate` during a storm of pushes from four in-process
// devices, then started again (crash recovery), FERRY_PG_CRASH_RUNS times (default 20) in one
// private cluster (never the shared PostgreSQL). Each round: every write acknowledged before the
// restart is in the database right after it, nothing is applied twice, every device converges
// (support/fault-round.ts). Round i runs on seed FERRY_PG_CRASH_SEED + i (default 1).
const SEED = Number(process.env.FERRY_PG_CRASH_SEED ?? 1);
const RUNS = Number(process.env.FERRY_PG_CRASH_RUNS ?? 20);

let cluster: PrivatePostgres;
let server: TestServer;
beforeAll(async () => {
  cluster = await startPrivatePostgres();
  server = await startTestServer({}, cluster.adminUrl);
});
afterAll(async () => {
  await server?.close();
  await cluster?.destroy();
});

describe('PostgreSQL crashes during a storm of pushes', () => {
  it(
    `${RUNS} immediate stops lose no acknowledged write, apply none twice, and every device converges (seeds ${SEED}..${SEED + RUNS - 1})`,
    { timeout: 60_000 + RUNS * 10_000 },
    async () => {
      const reports = await runRounds(
        {
          serverUrl: server.url,
          databaseUrl: server.db.url,
          crash: () => cluster.crash(),
          restart: () => cluster.start(),
        },
        {
          seed: SEED,
          runs: RUNS,
          name: 'pg-crash',
          seedVar: 'FERRY_PG_CRASH_SEED',
          runsVar: 'FERRY_PG_CRASH_RUNS',
          file: 'packages/cli/test/fault-pg-crash.test.ts',
        },
      );
      console.log(`pg crash (seeds ${SEED}..${SEED + RUNS - 1}): ${summarize(reports)}`);
      // The faults were real: most landed on a push in flight, and syncs failed during the outages.
      expect(reports.filter((r) => r.pushesAtFault > 0).length).toBeGreaterThanOrEqual(
        Math.ceil(RUNS / 2),
      );
      expect(reports.every((r) => r.syncs.failed > 0)).toBe(true);
    },
  );

  it(
    'catches a PostgreSQL that acknowledges commits before writing them (the checks can fail)',
    { timeout: 120_000 },
    async () => {
      // synchronous_commit = off: a commit returns before its WAL is written; the WAL writer writes
      // it within wal_writer_delay. An immediate stop inside that window loses acknowledged writes.
      const admin = openDatabase(cluster.adminUrl, 1);
      const setBroken = async (on: boolean): Promise<void> => {
        for (const [k, v] of [
          ['synchronous_commit', 'off'],
          ['wal_writer_delay', "'10s'"],
        ] as const) {
          await admin.query(on ? `ALTER SYSTEM SET ${k} = ${v}` : `ALTER SYSTEM RESET ${k}`);
        }
        await admin.query('SELECT pg_reload_conf()');
      };
      const target = {
        serverUrl: server.url,
        databaseUrl: server.db.url,
        crash: () => cluster.crash(),
        restart: () => cluster.start(),
      };
      try {
        await setBroken(true);
        const reports: RoundReport[] = [];
        for (let seed = 1; seed <= 3 && !reports.some((r) => r.problems.length > 0); seed++)
          reports.push(await faultRound(target, mulberry32(seed), `pg-broken${seed}`));
        const caught = reports
          .flatMap((r) => r.problems)
          .filter((p) => p.includes('acknowledged write'));
        console.log(
          `broken PostgreSQL: ${caught.length} lost acknowledged write(s) detected, e.g. ${caught[0] ?? 'none'}`,
        );
        expect(caught.length, 'no round detected the lost acknowledged writes').toBeGreaterThan(0);
      } finally {
        await setBroken(false).catch(() => undefined);
        await admin.close();
      }
    },
  );
});
