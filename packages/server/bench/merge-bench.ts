/**
 * `npm run bench:merge -w @ferry/server` (also the third part of `npm run bench:server`): the
 * text merge of issue 8.
 *
 * 1. `mergeText` called directly on a note of BENCH_MERGE_BYTES (1 MiB) whose two edits change
 *    BENCH_MERGE_LINES (100) scattered, non-adjacent lines each: wall time p50 / p99 / max and
 *    CPU per merge over BENCH_MERGE_RUNS (50) runs, after BENCH_MERGE_WARMUP (3) unmeasured ones.
 *    Every run's result is checked (both sides' edits, no hunk). Target: p99 < 50 ms.
 * 2. Push ingest through the real server (`startServer`, in this process, on a fresh database of
 *    the PostgreSQL at DATABASE_URL): (a) new notes, (b) fast-forward edits, (c) edits on an older
 *    version that need a three-way merge. BENCH_INGEST_USERS (4) users at once, each
 *    BENCH_INGEST_NOTES (2 500) notes of BENCH_INGEST_LINES (40) lines, edits changing
 *    BENCH_INGEST_EDIT_LINES (3) lines, BENCH_INGEST_BATCH (500) mutations per request.
 *    Target: (b) within 15 % of (a) in mutations/s. 0 notes skips this part.
 *
 * CPU is `process.cpuUsage`: in part 2 it is the server's and the load generator's together
 * (the generator only sends prepared bodies and parses the responses). PostgreSQL CPU is that of
 * the backends serving the bench's database (the cluster may be shared). BENCH_SEED (printed)
 * replays the same texts. Figures only: nothing here is asserted except that no merge loses an
 * edit (a diff past its deadline merges with an overlap, which is counted, not fatal).
 */
import { cpus, loadavg } from 'node:os';
import { mergeText, ferrySchema } from '@ferry/protocol';
import { createServer } from '../src/index.ts';
import { createTestDatabase } from '../src/testing/index.ts';
import { plan, runPhase, type IngestSizes, type PhaseResult } from './merge-ingest.ts';
import { signup } from './wire.ts';
import { cpuMsSince, editPair, envInt, mulberry32, noteLines, quantile } from './merge-texts.ts';

const MERGE_TARGET_MS = 50;
const INGEST_TOLERANCE = 0.15;

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function mergeBench(seed: number): void {
  const bytes = envInt('BENCH_MERGE_BYTES', 1024 * 1024);
  const perSide = envInt('BENCH_MERGE_LINES', 100);
  const runs = envInt('BENCH_MERGE_RUNS', 50);
  const warmup = envInt('BENCH_MERGE_WARMUP', 3);
  if (runs === 0) return;
  const rand = mulberry32(seed);
  const base = noteLines(rand, bytes);
  const baseText = base.join('');
  const pairs = Array.from({ length: warmup + runs }, () => editPair(rand, base, perSide));
  const wall: number[] = [];
  const cpu: number[] = [];
  /** Measured runs whose diff ran past its deadline: merged with an overlap (see below). */
  let coarse = 0;
  for (const [i, p] of pairs.entries()) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = mergeText(baseText, p.a, p.b);
    const ms = performance.now() - t0;
    const cpuMs = cpuMsSince(c0);
    if (r.text !== p.both || r.hunks.length > 0) {
      // A diff past its wall-clock deadline (0.2 s, easily reached on a loaded machine) settles
      // for a coarser diff: the edits then overlap and the server keeps a conflict record. That
      // is reported, not fatal; a lost edit is.
      const lost = lostEdit(p, r);
      if (lost !== null) throw new Error(`run ${i}: the merge lost the edit ${lost}`);
      if (i >= warmup) coarse++;
    }
    if (i < warmup) continue;
    wall.push(ms);
    cpu.push(cpuMs);
  }
  wall.sort((x, y) => x - y);
  cpu.sort((x, y) => x - y);
  const p99 = quantile(wall, 0.99);
  const f = (x: number): string => x.toFixed(1);
  console.log(
    `merge: ${(baseText.length / 2 ** 20).toFixed(2)} MiB note (${base.length.toLocaleString('en-US')} lines), ` +
      `${perSide} scattered lines changed on each side, ${runs} runs after ${warmup} warm-up`,
  );
  console.log(
    `  wall per merge: p50 ${f(quantile(wall, 0.5))} ms, p99 ${f(p99)} ms, max ${f(wall.at(-1)!)} ms`,
  );
  console.log(
    `  CPU per merge: p50 ${f(quantile(cpu, 0.5))} ms, p99 ${f(quantile(cpu, 0.99))} ms, ` +
      `mean ${f(cpu.reduce((s, x) => s + x, 0) / cpu.length)} ms`,
  );
  console.log(
    `  diff past its deadline (merged with an overlap, kept as a conflict, nothing lost): ${coarse} of ${runs} runs`,
  );
  console.log(
    `  target p99 < ${MERGE_TARGET_MS} ms: ${p99 < MERGE_TARGET_MS ? 'met' : `MISSED (p99 ${f(p99)} ms)`}`,
  );
}

/** An edit of either side (`alpha12`, `beta40`) in neither the merged text nor a hunk; null: none. */
function lostEdit(
  p: { a: string; b: string },
  r: { text: string; hunks: readonly { kept: string; other: string }[] },
): string | null {
  const kept = new Set(r.text.match(/\b(?:alpha|beta)\d+\b/g) ?? []);
  for (const h of r.hunks)
    for (const t of `${h.kept} ${h.other}`.match(/\b(?:alpha|beta)\d+\b/g) ?? []) kept.add(t);
  for (const t of [...(p.a.match(/\balpha\d+\b/g) ?? []), ...(p.b.match(/\bbeta\d+\b/g) ?? [])])
    if (!kept.has(t)) return t;
  return null;
}

function describe(name: string, r: PhaseResult): number {
  const rate = r.mutations / r.seconds;
  const per = (ms: number): string => ((ms / r.mutations) * 1000).toFixed(0);
  console.log(
    `  ${name.padEnd(38)} ${Math.round(rate).toLocaleString('en-US').padStart(7)} mutations/s  ` +
      `CPU per 1 000: this process ${per(r.cpuMs)} ms, PostgreSQL ${per(r.pgMs)} ms  (merged: ${r.merged})`,
  );
  return rate;
}

async function ingestBench(seed: number): Promise<void> {
  const s: IngestSizes = {
    users: envInt('BENCH_INGEST_USERS', 4),
    notes: envInt('BENCH_INGEST_NOTES', 2500),
    lines: envInt('BENCH_INGEST_LINES', 40),
    editLines: envInt('BENCH_INGEST_EDIT_LINES', 3),
    batch: envInt('BENCH_INGEST_BATCH', 500),
  };
  if (s.notes === 0 || s.users === 0) return;
  const db = await createTestDatabase();
  const server = await createServer({
    ...ferrySchema,
    databaseUrl: db.url,
    port: 0,
    logLevel: 'warn',
  });
  try {
    const rand = mulberry32(seed + 1);
    const tokens = await Promise.all(Array.from({ length: s.users }, () => signup(server.url)));
    const plans = tokens.map((t) => plan(t, rand, s));
    console.log(
      `ingest: ${s.users} users at once × ${s.notes.toLocaleString('en-US')} notes of ${s.lines} lines, ` +
        `edits of ${s.editLines} lines, ${s.batch} mutations per request; server in this process`,
    );
    const cursors = tokens.map(() => '0');
    const dbName = new URL(db.url).pathname.slice(1);
    const a = await runPhase(server.url, plans, 'create', cursors, dbName);
    const rateA = describe('(a) new notes', a);
    const b = await runPhase(server.url, plans, 'fastForward', cursors, dbName);
    const rateB = describe('(b) edits, baseVersion current', b);
    const c = await runPhase(server.url, plans, 'stale', cursors, dbName);
    describe('(c) edits on an older version (merge)', c);
    if (c.merged !== c.mutations) throw new Error(`only ${c.merged} of (c) were merged`);
    const gap = 1 - rateB / rateA;
    console.log(
      `  target (b) within ${INGEST_TOLERANCE * 100} % of (a): ${
        gap <= INGEST_TOLERANCE ? 'met' : 'MISSED'
      } ((b) is ${(Math.abs(gap) * 100).toFixed(0)} % ${gap >= 0 ? 'slower' : 'faster'})`,
    );
  } finally {
    await server.close();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const seed = envInt('BENCH_SEED', Math.floor(Math.random() * 2 ** 31));
  console.log(
    `merge bench: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${load()}, seed ${seed} (BENCH_SEED)`,
  );
  mergeBench(seed);
  await ingestBench(seed);
  console.log(`load after: ${load()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
