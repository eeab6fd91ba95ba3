/**
 * One process of the simulation (started by sim-procs.ts through tsx): its own in-process server
 * on its own database, `lanes` lanes, and its share of the seeds. Sends each SimResult to the
 * parent; takes no new seed after `maxFailures` failures or a 'stop' message.
 */
import { startTestServer } from './server.ts';
import { createLane } from './sim.ts';
import { runSeeds, shareSeeds, type SeedOptions, type SeedShare } from './sim-runner.ts';

export interface WorkerJob {
  share: SeedShare;
  lanes: number;
  seed: SeedOptions;
  maxFailures: number;
}

const job = JSON.parse(process.argv[2] ?? '') as WorkerJob;
let stopped = false;
let failures = 0;
process.on('message', (m) => {
  if (m === 'stop') stopped = true;
});
// The parent is gone (the test was interrupted): take no new seed.
process.on('disconnect', () => {
  stopped = true;
});

const server = await startTestServer();
const lanes = await Promise.all(
  Array.from({ length: job.lanes }, () => createLane(server.url, job.seed.clients)),
);
try {
  await runSeeds(
    server.url,
    lanes,
    shareSeeds(job.share),
    job.seed,
    (r) => {
      if (r.diffs.length > 0) failures += 1;
      if (process.connected) process.send!(r);
    },
    () => stopped || failures >= job.maxFailures,
  );
} finally {
  await Promise.all(lanes.map((l) => l.close()));
  await server.close();
}
if (process.connected) process.disconnect();
