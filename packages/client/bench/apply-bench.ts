/**
 * The engine's cost per pulled note: a first sync of N notes (~200 characters each) from the
 * in-process `FakeRemote` into a new better-sqlite3 database, with Ferry's tables (whose notes
 * have a search index) and with the same notes declared without search fields. Prints the
 * process's CPU per note (the engine, SQLite, and the fake server's JSON), and the part spent in
 * the apply transactions (timed around `applyResponse`'s transaction through the driver).
 *
 * BENCH_BEFORE=<dir>: also runs the engine whose `src/` is in that folder (an older commit's,
 * e.g. `git archive <commit> packages/client/src | tar -x -C <dir>`, extracted under
 * packages/client/ so that its imports resolve), taking turns with this one.
 *
 * Usage: npx tsx --conditions=ferry-source packages/client/bench/apply-bench.ts [NOTES] [RUNS]
 * (`npm run bench:apply -w @ferry/client -- [NOTES] [RUNS]`)
 * (defaults 20 000 and 3; each run of each variant on a new database, the variants taking turns).
 * docs/benchmarks.md, "The engine's cost per pulled row".
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { defineTable, ferrySchema, notebooks, uuidv7, type TableDecl } from '@ferry/protocol';
import { join } from 'node:path';
import type { SqlDriver } from '../src/index.ts';
import * as current from '../src/index.ts';
import * as currentNode from '../src/node/index.ts';
import { FakeRemote } from '../src/testing/index.ts';
import { tempDbPath } from '../test/helpers.ts';

const NOTES = Number(process.argv[2] ?? 20_000);
const RUNS = Number(process.argv[3] ?? 3);

/** Ferry's notes, declared without search fields (no index). */
const plainNotes = defineTable('notes', {
  fields: {
    title: { type: 'text', maxChars: 1000 },
    content: { type: 'text', maxBytes: 1024 * 1024, merge: 'text', mergeSince: 2, default: '' },
    notebook_id: { type: 'uuid', nullable: true, since: 3 },
  },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
});

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike'.split(
  ' ',
);

function remote(): FakeRemote {
  const r = new FakeRemote();
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < NOTES; i++) {
    const words = Array.from({ length: 30 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]);
    const at = new Date(t0 + i * 1000).toISOString();
    r.put('notes', {
      id: uuidv7(t0 + i),
      title: `Note ${i} ${WORDS[i % WORDS.length]}`,
      content: words.join(' ').slice(0, 190),
      notebook_id: null,
      created_at: at,
      updated_at: at,
      deleted_at: null,
    });
  }
  return r;
}

/** A driver that adds up the time spent in its transactions (the applies, and the reads between). */
function timed(d: SqlDriver): { driver: SqlDriver; ms: () => number } {
  let total = 0;
  const driver: SqlDriver = Object.create(d) as SqlDriver;
  driver.transaction = async (fn) => {
    const t = performance.now();
    try {
      return await d.transaction(fn);
    } finally {
      total += performance.now() - t;
    }
  };
  return { driver, ms: () => total };
}

/** One build of the engine: its entry points. */
interface Engine {
  main: typeof current;
  node: typeof currentNode;
}

async function firstSync(engine: Engine, tables: readonly TableDecl[], r: FakeRemote) {
  const path = tempDbPath();
  const t = timed(await engine.node.openNodeDriver(path));
  const ferry = await engine.main.openFerry({
    tables,
    schemaVersion: ferrySchema.schemaVersion,
    driver: t.driver,
    tokenStore: engine.main.memoryTokenStore(),
    http: r.http,
    validator: engine.node.compiledValidator,
  });
  await ferry.login('http://127.0.0.1:1', 'bench@example.test', 'password');
  const before = t.ms();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const out = await ferry.sync();
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  if (out.pulled !== NOTES) throw new Error(`pulled ${out.pulled}`);
  await ferry.close();
  rmSync(path, { force: true });
  return { cpuUs: (c.user + c.system) / NOTES, txUs: ((t.ms() - before) * 1000) / NOTES, wall };
}

const engines: [string, Engine][] = [['', { main: current, node: currentNode }]];
if (process.env.BENCH_BEFORE) {
  const src = join(process.env.BENCH_BEFORE, 'src');
  engines.unshift([
    'before: ',
    {
      main: (await import(join(src, 'index.ts'))) as typeof current,
      node: (await import(join(src, 'node', 'index.ts'))) as typeof currentNode,
    },
  ]);
}
const allVariants: [string, Engine, readonly TableDecl[]][] = engines.flatMap(([prefix, e]) => [
  [`${prefix}search index`, e, ferrySchema.tables] as [string, Engine, readonly TableDecl[]],
  [`${prefix}no index`, e, [plainNotes, notebooks]] as [string, Engine, readonly TableDecl[]],
]);
// BENCH_ONLY=<variant name>: that variant alone.
const variants = allVariants.filter(
  ([n]) => !process.env.BENCH_ONLY || n === process.env.BENCH_ONLY,
);
const r = remote();
const load = loadavg();
const results = new Map<string, { cpuUs: number; txUs: number; wall: number }[]>();
for (let run = -1; run < RUNS; run++) {
  for (const [name, engine, tables] of variants) {
    const res = await firstSync(engine, tables, r);
    if (run >= 0) results.set(name, [...(results.get(name) ?? []), res]);
  }
}
const after = loadavg();
console.log(
  `${NOTES} notes, ${RUNS} runs each (after 1 warm-up), load ${load[0]!.toFixed(1)} → ${after[0]!.toFixed(1)}`,
);
console.log('| variant | CPU µs/note (runs) | in transactions µs/note | notes/s (wall) |');
for (const [name, rs] of results) {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  console.log(
    `| ${name} | ${f(rs.map((x) => x.cpuUs))} | ${f(rs.map((x) => x.txUs))} | ${rs.map((x) => Math.round((NOTES * 1000) / x.wall)).join(', ')} |`,
  );
}
