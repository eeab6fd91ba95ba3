/** Timing a command from start to exit, with its CPU, for the CLI's benches. */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

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

/**
 * Times every command with every variant, taking turns within each round (load that comes and
 * goes hits them alike), after 2 warm-up rounds, with `node -e 0` as the floor; prints a table
 * (`title` names the variant column; `withMedian` adds a median column).
 */
export function timeRounds<V>(opts: {
  runs: number;
  commands: readonly (readonly [string, string[]])[];
  variants: readonly V[];
  name: (v: V) => string;
  run: (v: V, args: string[]) => Sample;
  title: string;
  withMedian?: boolean;
}): void {
  const times = new Map<string, Sample[]>();
  const node: Sample[] = [];
  const load = loadavg();
  for (let round = -2; round < opts.runs; round++) {
    const bare = time([process.execPath, '-e', '0']);
    if (round >= 0) node.push(bare);
    for (const [label, args] of opts.commands)
      for (const v of opts.variants) {
        const sample = opts.run(v, args);
        const key = `${label} | ${opts.name(v)}`;
        if (round >= 0) times.set(key, [...(times.get(key) ?? []), sample]);
      }
  }
  const avg = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');
  console.log(
    `${opts.runs} rounds, load average ${avg(load)} at the start, ${avg(loadavg())} at the end`,
  );
  const median = opts.withMedian === true ? ' median |' : '';
  console.log(`| command | ${opts.title} | mean ± σ |${median} min … max | CPU (mean) |`);
  for (const [key, ms] of times) console.log(`| ${key} | ${stats(ms, opts.withMedian)} |`);
  console.log(`| node -e 0 | | ${stats(node, opts.withMedian)} |`);
}
