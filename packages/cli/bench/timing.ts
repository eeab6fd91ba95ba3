/** Timing a command from start to exit, with its CPU, for the CLI's benches. */
import { spawnSync } from 'node:child_process';

/** One run: start to exit, and CPU (user + system) of the process, in ms. */
export interface Sample {
  wall: number;
  cpu: number;
}

/** Runs one command under bash's `time` (a child's CPU is only visible to its parent). */
export function time(argv: string[], env: Record<string, string> = {}): Sample {
  const r = spawnSync(
    'bash',
    ['-c', 'TIMEFORMAT="%R %U %S"; time "$@" >/dev/null 2>&1', 'bash', ...argv],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  const [wall, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  if (r.status !== 0 || wall === undefined || user === undefined || sys === undefined)
    throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { wall: wall * 1000, cpu: (user + sys) * 1000 };
}

/**
 * A table cell of runs: `mean ± σ | [median |] min … max | mean CPU`, in seconds (the median
 * when `withMedian`).
 */
export function stats(samples: Sample[], withMedian = false): string {
  const ms = samples.map((x) => x.wall).sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / (ms.length - 1));
  const cpu = samples.reduce((a, b) => a + b.cpu, 0) / samples.length;
  const s = (x: number): string => `${(x / 1000).toFixed(3)} s`;
  const median = withMedian ? ` ${s(ms[Math.floor(ms.length / 2)]!)} |` : '';
  return `${s(mean)} ± ${s(sd)} |${median} ${s(ms[0]!)} … ${s(ms.at(-1)!)} | ${s(cpu)}`;
}
