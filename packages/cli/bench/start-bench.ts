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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedCli } from './installed.ts';
import { stats, time, type Sample } from './timing.ts';

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

const ferry = (v: Variant, args: string[]): Sample =>
  time([process.execPath, ...v.argv, ...args], v.env);

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
