import {
  checkAcknowledged,
  checkConverged,
  checkExactlyOnce,
  converge,
  serverRows,
} from './fault-checks.ts';
import { openFleet, sleep } from './fleet.ts';
import { mulberry32, type Rng } from './prng.ts';
import { startStorm } from './storm.ts';

/** The server side a fault round breaks: the API at a fixed URL over one database. */
export interface FaultTarget {
  /** The API's URL; the same before and after the fault. */
  readonly serverUrl: string;
  /** Its database, for reading rows straight from PostgreSQL. */
  readonly databaseUrl: string;
  /** Takes the server side down abruptly (PostgreSQL stopped `-m immediate`, or the server SIGKILLed). */
  crash(): Promise<void>;
  /** Brings it back; resolves once it serves again. */
  restart(): Promise<void>;
}

/** What one round saw; `problems` is empty when every guarantee held. */
export interface RoundReport {
  problems: string[];
  writes: number;
  /** Writes acknowledged before the restart, checked in the database right after it. */
  acked: number;
  /** Devices pushing at the moment of the fault. */
  pushesAtFault: number;
  syncs: { ok: number; failed: number };
  /** Sync failures by error code (expected during the outage). */
  errors: Record<string, number>;
}

/**
 * One round: a fresh account, `devices` devices storming pushes; the fault lands at a seeded
 * moment while a push is in flight; the devices keep writing and failing to sync through a
 * seeded outage, then stop; the server side comes back. Right after the restart, before any
 * device syncs again, every acknowledged write must be in the database. Then the devices write a
 * little more, sync until quiet, and must all equal the server, which must equal the model of
 * every write, each applied exactly once.
 */
export async function faultRound(
  target: FaultTarget,
  rng: Rng,
  tag: string,
  devices = 4,
): Promise<RoundReport> {
  const fleet = await openFleet(
    target.serverUrl,
    devices,
    `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`,
  );
  try {
    const storm = startStorm(fleet, rng, tag);
    await sleep(30 + rng.int(250));
    for (let i = 0; i < 500 && storm.pushesInFlight() === 0; i++) await sleep(1);
    const pushesAtFault = storm.pushesInFlight();
    await target.crash();
    await sleep(20 + rng.int(300));
    await storm.stop();
    await target.restart();

    const ack = await checkAcknowledged(fleet, await serverRows(target.databaseUrl, fleet.userId));
    const after = startStorm(fleet, rng, `${tag}b`);
    await sleep(50 + rng.int(100));
    await after.stop();
    const problems = [...ack.problems, ...(await converge(fleet))];
    problems.push(...checkExactlyOnce(fleet, await serverRows(target.databaseUrl, fleet.userId)));
    problems.push(...(await checkConverged(fleet, target.serverUrl)));

    const errors: Record<string, number> = { ...storm.errors };
    for (const [k, v] of Object.entries(after.errors)) errors[k] = (errors[k] ?? 0) + v;
    return {
      problems,
      writes: fleet.model.writes,
      acked: ack.acked,
      pushesAtFault,
      syncs: {
        ok: storm.syncs.ok + after.syncs.ok,
        failed: storm.syncs.failed + after.syncs.failed,
      },
      errors,
    };
  } finally {
    await fleet.close();
  }
}

/** Sums the reports of several rounds for the one line a fault test prints. */
export function summarize(reports: readonly RoundReport[]): string {
  const sum = (f: (r: RoundReport) => number): number => reports.reduce((s, r) => s + f(r), 0);
  const errors: Record<string, number> = {};
  for (const r of reports)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  return (
    `${reports.length} rounds, ${sum((r) => r.writes)} writes (${sum((r) => r.acked)} acknowledged before a restart), ` +
    `${reports.filter((r) => r.pushesAtFault > 0).length} faults with a push in flight, ` +
    `syncs ok ${sum((r) => r.syncs.ok)} / failed ${sum((r) => r.syncs.failed)}, failures by code ${JSON.stringify(errors)}`
  );
}

/**
 * Runs `runs` rounds, round i on seed `seed + i`, stopping at the first round with a problem and
 * throwing with its seed and the command that replays it alone.
 */
export async function runRounds(
  target: FaultTarget,
  opts: {
    seed: number;
    runs: number;
    name: string;
    seedVar: string;
    runsVar: string;
    file: string;
  },
): Promise<RoundReport[]> {
  const reports: RoundReport[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const seed = opts.seed + i;
    const report = await faultRound(target, mulberry32(seed), `${opts.name}${seed}`);
    reports.push(report);
    if (report.problems.length > 0) {
      const shown = report.problems.slice(0, 15).join('\n  ');
      const more = report.problems.length > 15 ? `\n  ... ${report.problems.length - 15} more` : '';
      throw new Error(
        `${opts.name}: seed ${seed} failed (round ${i + 1} of ${opts.runs}):\n  ${shown}${more}\n` +
          `  replay: ${opts.seedVar}=${seed} ${opts.runsVar}=1 npx vitest run ${opts.file}`,
      );
    }
  }
  return reports;
}
