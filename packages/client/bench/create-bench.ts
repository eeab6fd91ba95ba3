/**
 * Local writes on the Node driver (issue 10, statements per write), run by hand:
 * `npx tsx --conditions=ferry-source packages/client/bench/create-bench.ts` (BENCH_WRITES,
 * default 1 000). Creates BENCH_WRITES notes, then updates the content of each once, on a new
 * database file (WAL, synchronous = FULL); prints driver calls per write, p50/p99 wall time and
 * CPU per write (process.cpuUsage: the engine and SQLite, not the fsync's wait).
 */
import { loadavg } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferrySchema } from '@ferry/protocol';
import { memoryTokenStore, openFerry, type SqlDriver, type SqlTx } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';

const WRITES = Number(process.env.BENCH_WRITES ?? 1000);

/** Counts the calls the driver's transactions make. */
function counting(inner: SqlDriver): { driver: SqlDriver; calls: () => number } {
  let calls = 0;
  const driver: SqlDriver = {
    transaction: (fn) =>
      inner.transaction((tx) => {
        const counted: SqlTx = {
          run: (sql, p) => (calls++, tx.run(sql, p)),
          all: (sql, p) => (calls++, tx.all(sql, p)),
          exec: (sql) => (calls++, tx.exec(sql)),
        };
        return fn(counted);
      }),
    close: () => inner.close(),
  };
  return { driver, calls: () => calls };
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function timed(
  name: string,
  calls: () => number,
  n: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  const times: number[] = [];
  const c0 = calls();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  console.log(
    `${name}: ${n} writes, ${((calls() - c0) / n).toFixed(2)} driver calls each, ` +
      `p50 ${pct(times, 50).toFixed(3)} ms, p99 ${pct(times, 99).toFixed(3)} ms, ` +
      `CPU ${((cpu.user + cpu.system) / n).toFixed(0)} us per write`,
  );
}

const path = join(mkdtempSync(join(tmpdir(), 'ferry-create-bench-')), 'bench.db');
const { driver, calls } = counting(await openNodeDriver(path));
const f = await openFerry({ ...ferrySchema, tokenStore: memoryTokenStore(), driver });
console.log(
  `load at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const ids: string[] = [];
await timed('create', calls, WRITES, async (i) => {
  ids.push((await f.tables.notes.create({ title: `Bench ${i}`, content: 'x' })).id);
});
await timed('update (content)', calls, WRITES, (i) =>
  f.tables.notes.update(ids[i]!, { content: `y ${i}` }),
);
console.log(
  `load at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await f.close();
