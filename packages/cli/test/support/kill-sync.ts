import { collect, spawnFerry } from './cli.ts';
import { checkDatabase } from './db-check.ts';
import type { Rng } from './prng.ts';

/** Where the kills of one series landed. */
export interface KillOutcomes {
  /** Killed after the sync printed its first progress line. */
  killedWithProgress: number;
  /** Killed at a moment of the whole run (perhaps before it reached the server). */
  killedBlind: number;
  /** The run finished before its kill. */
  finishedFirst: number;
  /** Killed after at least one round was committed locally: the interesting case. */
  killedAfterPartialProgress: number;
}

/**
 * Runs `ferry sync --progress --db dbPath` `kills` times and SIGKILLs each run at a seeded moment.
 * The kill windows adapt to this machine: the whole run (process start to exit) and the sync
 * proper (first progress line to exit), as measured on the last run that was not killed. After
 * every kill the database must pass the consistency checks (support/db-check.ts); a run that
 * finished first must have exited 0. `between` makes more local writes after each kill. Throws on
 * the first problem, naming the kill and `label`.
 */
export async function killSyncs(
  dbPath: string,
  rng: Rng,
  kills: number,
  label: string,
  between: (kill: number) => Promise<void>,
): Promise<KillOutcomes> {
  const outcomes: KillOutcomes = {
    killedWithProgress: 0,
    killedBlind: 0,
    finishedFirst: 0,
    killedAfterPartialProgress: 0,
  };
  let runMs = 2000;
  let syncMs = 500;
  for (let kill = 1; kill <= kills; kill++) {
    const before = checkDatabase(dbPath);
    const child = spawnFerry(['sync', '--progress', '--db', dbPath]);
    const done = collect(child);
    const started = Date.now();
    let progressAt = 0;
    const afterProgress = rng.chance(0.6);
    const fraction = rng.next();
    const fire = (): void => {
      child.kill('SIGKILL');
    };
    child.stderr!.once('data', () => {
      progressAt = Date.now();
      if (afterProgress) setTimeout(fire, Math.floor(fraction * syncMs));
    });
    if (!afterProgress) setTimeout(fire, Math.floor(fraction * runMs));
    const result = await done;
    if (result.signal !== 'SIGKILL') {
      outcomes.finishedFirst += 1;
      if (result.code !== 0)
        throw new Error(`${label}: sync exited ${result.code} (kill ${kill}): ${result.stderr}`);
      runMs = Date.now() - started;
      if (progressAt > 0) syncMs = Math.max(20, Date.now() - progressAt);
    } else if (afterProgress) outcomes.killedWithProgress += 1;
    else outcomes.killedBlind += 1;

    const after = checkDatabase(dbPath);
    if (after.problems.length > 0)
      throw new Error(`${label}: after kill ${kill}: ${after.problems.join('; ')}`);
    if (
      result.signal === 'SIGKILL' &&
      (after.pending < before.pending || after.cursor !== before.cursor)
    )
      outcomes.killedAfterPartialProgress += 1;
    await between(kill);
  }
  return outcomes;
}
