import { runMany } from '../batch.ts';
import type { SqlDriver } from '../driver.ts';
import { equal, ok, rejects, type Check } from './assert.ts';

/** Makes a new, empty database. */
export type MakeDriver = () => Promise<SqlDriver>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withDriver(make: MakeDriver, fn: (d: SqlDriver) => Promise<void>): Promise<void> {
  const d = await make();
  try {
    await fn(d);
  } finally {
    await d.close();
  }
}

/**
 * The SqlDriver contract (driver.ts) as checks any implementation must pass: better-sqlite3 in
 * Node, the Tauri bridge in the desktop app. Plain async functions that throw, no test framework.
 */
export const driverChecks: Check<MakeDriver>[] = [
  {
    name: 'a committed transaction is whole',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction(async (tx) => {
          await tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
          for (let i = 0; i < 3; i++) await tx.run('INSERT INTO t (v) VALUES (?)', [`v${i}`]);
        });
        const rows = await d.transaction((tx) =>
          tx.all<{ v: string }>('SELECT v FROM t ORDER BY id'),
        );
        equal(
          rows.map((r) => r.v),
          ['v0', 'v1', 'v2'],
          'all three rows are visible after commit',
        );
      }),
  },
  {
    name: 'a throwing transaction rolls back whole and rethrows the same error',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) => tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
        const boom = new Error('boom');
        const got = await rejects(
          d.transaction(async (tx) => {
            await tx.run('INSERT INTO t (v) VALUES (?)', ['a']);
            await tx.run('INSERT INTO t (v) VALUES (?)', ['b']);
            throw boom;
          }),
          'the transaction rejects',
        );
        ok(got === boom, 'the error thrown inside is the one rethrown');
        const [n] = await d.transaction((tx) =>
          tx.all<{ n: number }>('SELECT count(*) AS n FROM t'),
        );
        equal(Number(n?.n), 0, 'no row of the failed transaction stays');
        await d.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (?)', ['c']));
        const [m] = await d.transaction((tx) =>
          tx.all<{ n: number }>('SELECT count(*) AS n FROM t'),
        );
        equal(Number(m?.n), 1, 'the next transaction works normally');
      }),
  },
  {
    name: 'a failing statement rolls back the statements before it',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'),
        );
        await rejects(
          d.transaction(async (tx) => {
            await tx.run('INSERT INTO t (v) VALUES (?)', ['a']);
            await tx.run('INSERT INTO t (v) VALUES (?)', [null]);
          }),
          'a constraint violation rejects the transaction',
        );
        const [n] = await d.transaction((tx) =>
          tx.all<{ n: number }>('SELECT count(*) AS n FROM t'),
        );
        equal(Number(n?.n), 0, 'the first insert was rolled back');
      }),
  },
  {
    name: 'concurrent transactions do not interleave and none fails with "database is locked"',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction(async (tx) => {
          await tx.exec('CREATE TABLE c (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
          await tx.run("INSERT INTO c VALUES ('x', 0)");
        });
        const log: string[] = [];
        const jobs = Array.from({ length: 25 }, (_, i) =>
          d.transaction(async (tx) => {
            log.push(`in ${i}`);
            const [row] = await tx.all<{ n: number }>("SELECT n FROM c WHERE k = 'x'");
            // Yield to the event loop: another transaction must not run its statements now.
            await sleep(i % 3);
            await tx.run("UPDATE c SET n = ? WHERE k = 'x'", [Number(row?.n) + 1]);
            log.push(`out ${i}`);
            return i;
          }),
        );
        const results = await Promise.all(jobs);
        equal(
          results,
          Array.from({ length: 25 }, (_, i) => i),
          'every transaction succeeded',
        );
        const [row] = await d.transaction((tx) =>
          tx.all<{ n: number }>("SELECT n FROM c WHERE k = 'x'"),
        );
        equal(Number(row?.n), 25, 'no increment was lost (read-modify-write is serialized)');
        for (let i = 0; i < log.length; i += 2) {
          const a = log[i]?.split(' ');
          const b = log[i + 1]?.split(' ');
          ok(
            a?.[0] === 'in' && b?.[0] === 'out' && a[1] === b[1],
            `transactions interleaved: ${log.slice(i, i + 2).join(', ')}`,
          );
        }
      }),
  },
  {
    name: 'values round-trip: text (unicode), integers, reals, null, bigint parameters',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec('CREATE TABLE v (id INTEGER PRIMARY KEY, t TEXT, i INTEGER, r REAL)'),
        );
        const texts = [
          '',
          'plain',
          'ünïcödé — “quotes”',
          '日本語のノート',
          '😀 emoji 👩‍👩‍👧',
          'it\'s "quoted" \\ back',
          'line\nbreak\ttab',
          'x'.repeat(100_000),
        ];
        const ints = [
          0,
          1,
          -1,
          2 ** 31,
          -(2 ** 31) - 1,
          Number.MAX_SAFE_INTEGER,
          Number.MIN_SAFE_INTEGER,
        ];
        await d.transaction(async (tx) => {
          for (const [k, t] of texts.entries())
            await tx.run('INSERT INTO v (id, t, i, r) VALUES (?, ?, ?, ?)', [
              k,
              t,
              ints[k % ints.length]!,
              0.5 + k,
            ]);
          await tx.run('INSERT INTO v (id, t, i, r) VALUES (?, ?, ?, ?)', [100, null, null, null]);
          await tx.run('INSERT INTO v (id, i) VALUES (?, ?)', [101, 42n]);
        });
        const rows = await d.transaction((tx) =>
          tx.all<{ id: number; t: string | null; i: number | bigint | null; r: number | null }>(
            'SELECT * FROM v ORDER BY id',
          ),
        );
        for (const [k, t] of texts.entries()) {
          const row = rows[k];
          ok(row !== undefined, `row ${k} exists`);
          equal(row.t, t, `text ${k} round-trips`);
          equal(Number(row.i), ints[k % ints.length], `integer ${k} round-trips`);
          equal(row.r, 0.5 + k, `real ${k} round-trips`);
        }
        const nul = rows.find((r) => Number(r.id) === 100);
        equal([nul?.t, nul?.i, nul?.r], [null, null, null], 'nulls round-trip');
        const big = rows.find((r) => Number(r.id) === 101);
        equal(Number(big?.i), 42, 'a bigint parameter binds as an integer');
      }),
  },
  {
    name: 'exec runs a multi-statement script; run reports changed rows; all returns [] for no rows',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec(`
            CREATE TABLE a (x INTEGER);
            CREATE TABLE b (y TEXT);
            INSERT INTO a VALUES (1);
            INSERT INTO a VALUES (2);
            INSERT INTO a VALUES (3);
            INSERT INTO b VALUES ('z');
          `),
        );
        const { changes } = await d.transaction((tx) =>
          tx.run('UPDATE a SET x = x + 10 WHERE x >= ?', [2]),
        );
        equal(changes, 2, 'run reports two changed rows');
        const rows = await d.transaction((tx) =>
          tx.all<{ x: number }>('SELECT x FROM a ORDER BY x'),
        );
        equal(
          rows.map((r) => Number(r.x)),
          [1, 12, 13],
          'the script and the update took effect',
        );
        equal(
          await d.transaction((tx) => tx.all('SELECT * FROM b WHERE y = ?', ['none'])),
          [],
          'no rows is an empty array',
        );
      }),
  },
  {
    name: 'runMany runs one statement per parameter row, in order, and reports the changed rows',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec(
            'CREATE TABLE m (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, n INTEGER, b)',
          ),
        );
        const rows = Array.from({ length: 1500 }, (_, i) => [
          `k${i}`,
          i % 2 === 0 ? i : 2n ** 60n + BigInt(i),
          i === 7 ? new Uint8Array([0, 255]) : null,
        ]);
        const inserted = await d.transaction((tx) =>
          runMany(tx, 'INSERT INTO m (k, n, b) VALUES (?, ?, ?)', rows),
        );
        equal(inserted.changes, 1500, 'one change per row');
        const back = await d.transaction((tx) =>
          tx.all<{ k: string; n: number | bigint; b: Uint8Array | null }>(
            'SELECT k, n, b FROM m ORDER BY seq',
          ),
        );
        equal(
          back.map((r) => r.k),
          rows.map((r) => r[0]),
          'rows ran in the order given',
        );
        const [big] = await d.transaction((tx) =>
          tx.all<{ d: number }>("SELECT n - 1152921504606846976 AS d FROM m WHERE k = 'k3'"),
        );
        equal(Number(big?.d), 3, 'a bigint parameter keeps every digit');
        equal(Array.from(back[7]?.b ?? []), [0, 255], 'a blob parameter round-trips');
        const updated = await d.transaction((tx) =>
          runMany(tx, 'UPDATE m SET n = -1 WHERE k = ?', [['k1'], ['none'], ['k2'], ['k1']]),
        );
        equal(updated.changes, 3, 'changes add up over the rows (a row matching nothing adds 0)');
        equal(
          await d.transaction((tx) => runMany(tx, 'DELETE FROM m WHERE k = ?', [])),
          { changes: 0 },
          'no rows: nothing runs',
        );
      }),
  },
  {
    name: 'runMany is all or nothing: a failing row undoes the rows before it and the transaction goes on',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'),
        );
        const caught = await d.transaction(async (tx) => {
          await tx.run('INSERT INTO t (v) VALUES (?)', ['before']);
          const err = await rejects(
            runMany(tx, 'INSERT INTO t (v) VALUES (?)', [['a'], ['b'], [null], ['d']]),
            'a NOT NULL violation in row 3 rejects',
          );
          await tx.run('INSERT INTO t (v) VALUES (?)', ['after']);
          return err;
        });
        ok(
          /NOT NULL/i.test(caught instanceof Error ? caught.message : String(caught)),
          `the error names the constraint: ${String(caught)}`,
        );
        const rows = await d.transaction((tx) =>
          tx.all<{ v: string }>('SELECT v FROM t ORDER BY id'),
        );
        equal(
          rows.map((r) => r.v),
          ['before', 'after'],
          'none of the batch stays; the statements around it commit',
        );
      }),
  },
  {
    name: 'runMany marked abortsTransaction runs its rows in order; its failure, let out, rolls the whole transaction back',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) =>
          tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'),
        );
        const whole = { abortsTransaction: true };
        const done = await d.transaction((tx) =>
          runMany(tx, 'INSERT INTO t (v) VALUES (?)', [['a'], ['b'], ['c']], whole),
        );
        equal(done.changes, 3, 'one change per row');
        const failed = await rejects(
          d.transaction(async (tx) => {
            await tx.run('INSERT INTO t (v) VALUES (?)', ['before']);
            await runMany(tx, 'INSERT INTO t (v) VALUES (?)', [['d'], [null], ['e']], whole);
          }),
          'a NOT NULL violation in row 2 rejects, and the transaction with it',
        );
        ok(
          /NOT NULL/i.test(failed instanceof Error ? failed.message : String(failed)),
          `the error names the constraint: ${String(failed)}`,
        );
        const rows = await d.transaction((tx) =>
          tx.all<{ v: string }>('SELECT v FROM t ORDER BY id'),
        );
        equal(
          rows.map((r) => r.v),
          ['a', 'b', 'c'],
          'in order; nothing of the failed transaction stays',
        );
      }),
  },
  {
    name: 'runMany refuses a parameter row of the wrong length (an error, not a crash)',
    run: (make) =>
      withDriver(make, async (d) => {
        await d.transaction((tx) => tx.exec('CREATE TABLE t (a TEXT, b TEXT)'));
        await d.transaction(async (tx) => {
          await rejects(
            runMany(tx, 'INSERT INTO t VALUES (?, ?)', [['1', '2'], ['only one']]),
            'too few parameters',
          );
          await rejects(
            runMany(tx, 'INSERT INTO t VALUES (?, ?)', [['1', '2', '3']]),
            'too many parameters',
          );
          await rejects(runMany(tx, 'INSERT INTO nowhere VALUES (?)', [['x']]), 'bad SQL');
        });
        const [n] = await d.transaction((tx) =>
          tx.all<{ n: number }>('SELECT count(*) AS n FROM t'),
        );
        equal(Number(n?.n), 0, 'nothing of the refused batches stays');
        await d.transaction((tx) => runMany(tx, 'INSERT INTO t VALUES (?, ?)', [['x', 'y']]));
        const [m] = await d.transaction((tx) =>
          tx.all<{ n: number }>('SELECT count(*) AS n FROM t'),
        );
        equal(Number(m?.n), 1, 'the driver still works');
      }),
  },
];

/** Runs every driver check; returns one line per check (throws on the first failure unless `keepGoing`). */
export async function runDriverChecks(
  make: MakeDriver,
  keepGoing = false,
): Promise<{ name: string; error?: string }[]> {
  const out: { name: string; error?: string }[] = [];
  for (const c of driverChecks) {
    try {
      await c.run(make);
      out.push({ name: c.name });
    } catch (e) {
      if (!keepGoing) throw e;
      out.push({ name: c.name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
