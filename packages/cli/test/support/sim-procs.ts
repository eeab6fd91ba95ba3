import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './cli.ts';
import type { SimResult } from './sim.ts';
import type { SeedOptions } from './sim-runner.ts';
import type { WorkerJob } from './sim-worker.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./sim-worker.ts', import.meta.url));

/**
 * Runs seeds `first .. first + count - 1` in `procs` child processes (sim-worker.ts), seed s in
 * process `(s - first) % procs`: one test process and its in-process server use one core, so
 * this is what puts the machine's other cores to work. After `maxFailures` failed seeds in all,
 * every process is told to stop. Rejects if a process fails other than by a wrong result.
 */
export async function runInProcesses(
  range: { first: number; count: number },
  opts: { procs: number; lanes: number; seed: SeedOptions; maxFailures: number },
  onResult: (r: SimResult) => void,
): Promise<void> {
  let failures = 0;
  const children = Array.from({ length: opts.procs }, (_, offset) => {
    const job: WorkerJob = {
      share: { ...range, offset, stride: opts.procs },
      lanes: opts.lanes,
      seed: opts.seed,
      maxFailures: opts.maxFailures,
    };
    return fork(WORKER, [JSON.stringify(job)], {
      cwd: ROOT,
      env: cleanEnv(),
      execArgv: ['--conditions=ferry-source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
  });
  const stopAll = (): void => {
    for (const c of children) if (c.connected) c.send('stop');
  };
  const finished = Promise.all(
    children.map(
      (child, i) =>
        new Promise<void>((resolve, reject) => {
          let stderr = '';
          child
            .stderr!.setEncoding('utf8')
            .on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
          child.on('message', (r: SimResult) => {
            onResult(r);
            if (r.diffs.length > 0 && ++failures >= opts.maxFailures) stopAll();
          });
          child.once('error', reject);
          child.once('exit', (code, signal) => {
            if (code === 0) resolve();
            else
              reject(
                new Error(`simulation process ${i} exited with ${code ?? signal}:\n${stderr}`),
              );
          });
        }),
    ),
  );
  try {
    await finished;
  } catch (e) {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    throw e;
  }
}
