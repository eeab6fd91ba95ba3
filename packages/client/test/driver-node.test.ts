import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SqlDriver, SqlTx, SqlValue } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { driverChecks, storeChecks } from '../src/testing/index.ts';
import { tempDbPath } from './helpers.ts';

const make = (): ReturnType<typeof openNodeDriver> => openNodeDriver(tempDbPath());

describe('node driver: the shared SqlDriver checks', () => {
  for (const c of driverChecks) it(c.name, () => c.run(make));
});

describe('node driver: the shared engine store checks', () => {
  for (const c of storeChecks) it(c.name, () => c.run(make));
});

describe('node driver: in-memory databases pass too', () => {
  for (const c of driverChecks) it(c.name, () => c.run(() => openNodeDriver(':memory:')));
});

/** The node driver with `runMany` taken away, or replaced by a naive loop without a savepoint. */
const variant = (kind: 'without runMany' | 'naive runMany') => async (): Promise<SqlDriver> => {
  const inner = await make();
  const wrap = (tx: SqlTx): SqlTx => ({
    run: (sql, params) => tx.run(sql, params),
    all: (sql, params) => tx.all(sql, params),
    exec: (sql) => tx.exec(sql),
    ...(kind === 'naive runMany'
      ? {
          runMany: async (sql: string, rows: readonly (readonly SqlValue[])[]) => {
            let changes = 0;
            for (const r of rows) changes += (await tx.run(sql, r)).changes;
            return { changes };
          },
        }
      : {}),
  });
  return {
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
    close: () => inner.close(),
  };
};

describe('node driver without runMany: the fallback (one run per row in a savepoint) passes the checks', () => {
  for (const c of driverChecks) it(c.name, () => c.run(variant('without runMany')));
  for (const c of storeChecks) it(c.name, () => c.run(variant('without runMany')));
});

describe('the shared checks can fail', () => {
  it('"runMany is all or nothing" fails on a runMany without a savepoint', async () => {
    const c = driverChecks.find((x) => x.name.startsWith('runMany is all or nothing'))!;
    await expect(c.run(variant('naive runMany'))).rejects.toThrow(
      /check failed: none of the batch stays/,
    );
  });

  /** A broken driver: every statement autocommits, nothing is serialized. */
  const broken = async (): Promise<SqlDriver> => {
    const db = new Database(':memory:');
    const tx: SqlTx = {
      run: (sql, params = []) =>
        Promise.resolve({ changes: db.prepare(sql).run(...params).changes }),
      all: <R>(sql: string, params: readonly SqlValue[] = []) =>
        Promise.resolve(db.prepare(sql).all(...params) as R[]),
      exec: (sql) => Promise.resolve(void db.exec(sql)),
    };
    return Promise.resolve({
      transaction: (fn) => fn(tx),
      close: () => Promise.resolve(void db.close()),
    });
  };
  const expected = [
    'a throwing transaction rolls back whole and rethrows the same error',
    'concurrent transactions do not interleave and none fails with "database is locked"',
  ];
  for (const name of expected) {
    it(`"${name}" fails on a driver without transactions`, async () => {
      const c = driverChecks.find((x) => x.name === name)!;
      await expect(c.run(broken)).rejects.toThrow(/check failed/);
    });
  }
});

describe('node driver: a batch whose failure aborts the transaction runs without a savepoint', () => {
  // A savepoint made every pulled note's insert, which fires the search index's trigger, keep a
  // statement journal (~10 µs a row). Seen from inside: the rows before a failing one are not
  // undone by the call itself (the transaction's rollback undoes them).
  it('leaves the rows before a failing one in place until the transaction rolls back', async () => {
    const d = await make();
    await d.transaction((tx) =>
      tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'),
    );
    let seen: string[] = [];
    await expect(
      d.transaction(async (tx) => {
        try {
          await tx.runMany!('INSERT INTO t (v) VALUES (?)', [['a'], [null]], {
            abortsTransaction: true,
          });
        } catch {
          // The NOT NULL violation of the second row.
        }
        seen = (await tx.all<{ v: string }>('SELECT v FROM t')).map((r) => r.v);
        throw new Error('gave up');
      }),
    ).rejects.toThrow('gave up');
    expect(seen).toEqual(['a']);
    expect(await d.transaction((tx) => tx.all('SELECT v FROM t'))).toEqual([]);
    await d.close();
  });
});
