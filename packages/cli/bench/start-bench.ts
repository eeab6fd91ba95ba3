/**
 * `ferry --version` and `ferry ls` on a 10 000-note database, start to exit, for each way the
 * command can run (docs/benchmarks.md, "CLI start-up from the built package"):
 *
 *   tsx        the sources through tsx's loader (FERRY_CLI_TSX=1; how every command ran before the
 *              bundle)
 *   workspace  bin/ferry.js in the repository: the bundle in node_modules/.cache, after checking
 *              the stamps of its ~300 inputs
 *   built      the package as installed (bin/ferry.js over dist/ferry.cjs, built first, with its
 *              code cache; see installed.ts)
 *
 * Usage: npx tsx --conditions=ferry-source packages/cli/bench/start-bench.ts [RUNS] (default 15, after 2 warm-up runs).
 * The variants take turns within each round, so load that comes and goes hits them alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedCli } from './installed.ts';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(cliDir, 'bin', 'ferry.js');
const built = installedCli();
const runs = Number(process.argv[2] ?? 15);
const NOTES = 10_000;

interface Variant {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}
const variants: Variant[] = [
  { name: 'tsx', argv: [bin], env: { FERRY_CLI_TSX: '1' } },
  { name: 'workspace', argv: [bin] },
  { name: 'built', argv: [built] },
];

interface Sample {
  /** Start to exit, and CPU (user + system) of the process, in ms. */
  wall: number;
  cpu: number;
}

/** Runs one command under bash's `time` (a child's CPU is only visible to its parent). */
function time(argv: string[], env: Record<string, string> = {}): Sample {
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

const ferry = (v: Variant, args: string[]): Sample =>
  time([process.execPath, ...v.argv, ...args], v.env);

function stats(samples: Sample[]): string {
  const ms = samples.map((x) => x.wall);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / (ms.length - 1));
  const cpu = samples.reduce((a, b) => a + b.cpu, 0) / samples.length;
  const s = (x: number): string => `${(x / 1000).toFixed(3)} s`;
  return `${s(mean)} ± ${s(sd)} | ${s(Math.min(...ms))} … ${s(Math.max(...ms))} | ${s(cpu)}`;
}

const work = mkdtempSync(join(tmpdir(), 'ferry-start-bench-'));
try {
  const db = join(work, 'notes.db');
  const seed = join(work, 'notes.json');
  writeFileSync(
    seed,
    JSON.stringify(
      Array.from({ length: NOTES }, (_, i) => ({ title: `note ${i}`, content: `body ${i}` })),
    ),
  );
  ferry(variants[1]!, ['import', seed, '--db', db]);

  const commands: [string, string[]][] = [
    ['--version', ['--version']],
    [`ls (${NOTES} notes)`, ['ls', '--db', db]],
  ];
  const times = new Map<string, Sample[]>();
  const node: Sample[] = [];
  const load = loadavg();
  for (let round = -2; round < runs; round++) {
    const bare = time([process.execPath, '-e', '0']);
    if (round >= 0) node.push(bare);
    for (const [label, args] of commands) {
      for (const v of variants) {
        const sample = ferry(v, args);
        const key = `${label} | ${v.name}`;
        if (round >= 0) times.set(key, [...(times.get(key) ?? []), sample]);
      }
    }
  }
  const after = loadavg();
  console.log(
    `${runs} runs each, load average ${load.map((l) => l.toFixed(1)).join(' / ')} at the start, ${after.map((l) => l.toFixed(1)).join(' / ')} at the end`,
  );
  console.log('| command | variant | mean ± σ | min … max | CPU (mean) |');
  for (const [key, ms] of times) console.log(`| ${key} | ${stats(ms)} |`);
  console.log(`| node -e 0 | | ${stats(node)} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
