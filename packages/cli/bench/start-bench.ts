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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedCli } from './installed.ts';
import { time, timeRounds, type Sample } from './timing.ts';

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
  timeRounds({ runs, commands, variants, name: (v) => v.name, run: ferry, title: 'variant' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
