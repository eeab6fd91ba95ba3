import { describe, expect, it } from 'vitest';
import type { SqlDriver, SqlTx } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { openTestFerry, tempDbPath } from './helpers.ts';

/** Driver calls (`run`, `all`, `exec`, `runMany`) per transaction, by the SQL's first word. */
interface Counted {
  driver: SqlDriver;
  /** Calls of the transactions since the last `take`, one list per transaction. */
  take(): string[][];
}

/** A driver that records every call its transactions make (each one is a round trip in a worker or over IPC). */
async function countingDriver(): Promise<Counted> {
  const inner = await openNodeDriver(tempDbPath());
  let log: string[][] = [];
  const driver: SqlDriver = {
    transaction(fn) {
      return inner.transaction((tx) => {
        const calls: string[] = [];
        log.push(calls);
        const note = (kind: string, sql: string): void => {
          calls.push(`${kind} ${sql.trim().split(/\s+/).slice(0, 3).join(' ')}`);
        };
        const counted: SqlTx = {
          run: (sql, p) => (note('run', sql), tx.run(sql, p)),
          all: (sql, p) => (note('all', sql), tx.all(sql, p)),
          exec: (sql) => (note('exec', sql), tx.exec(sql)),
          ...(tx.runMany
            ? { runMany: (sql, rows) => (note('runMany', sql), tx.runMany!(sql, rows)) }
            : {}),
        };
        return fn(counted);
      });
    },
    close: () => inner.close(),
  };
  return {
    driver,
    take() {
      const out = log;
      log = [];
      return out;
    },
  };
}

/** The calls of the one transaction a local write made. */
function oneTx(c: Counted): string[] {
  const txs = c.take();
  expect(txs).toHaveLength(1);
  return txs[0]!;
}

describe('statements per local write (each one a round trip to a worker or over IPC)', () => {
  it('create, update, remove and restore each take a few statements in one transaction', async () => {
    const c = await countingDriver();
    let t = Date.parse('2026-03-01T00:00:00.000Z');
    const f = await openTestFerry({ driver: c.driver, now: () => (t += 1) });
    c.take();

    const n = await f.tables.notes.create({ title: 'a', content: 'text' });
    const create = oneTx(c);
    const u = await f.tables.notes.updateForEdit(n.id, { content: 'text 2' });
    const updateText = oneTx(c);
    await f.tables.notes.update(n.id, { title: 'b' });
    const updateTitle = oneTx(c);
    await f.tables.notes.update(n.id, { title: 'c' }, { base: u.base });
    const updateTitleBase = oneTx(c);
    const same = await f.tables.notes.updateForEdit(n.id, {}, u.base);
    expect(same).toEqual({ row: await f.tables.notes.get(n.id), base: u.base });
    expect((await f.tables.notes.updateForEdit(n.id, {})).base).toEqual(u.base);
    const unchanged = c.take().map((calls) => calls.length);
    await f.tables.notes.remove(n.id);
    const remove = oneTx(c);
    await f.tables.notes.restore(n.id);
    const restore = oneTx(c);
    const counts = {
      create: create.length,
      updateText: updateText.length,
      updateTitle: updateTitle.length,
      updateTitleBase: updateTitleBase.length,
      remove: remove.length,
      restore: restore.length,
      unchanged,
    };
    console.log('statements per write', JSON.stringify(counts));
    console.log('create:', create.join(' | '));
    console.log('update (text):', updateText.join(' | '));
    // A stamp, the row (RETURNING it), the outbox entry, and for text its base: nothing re-read.
    expect(counts).toEqual({
      create: 4,
      updateText: 4,
      updateTitle: 3,
      updateTitleBase: 3,
      remove: 3,
      restore: 3,
      unchanged: [1, 1, 1], // an empty patch reads the row and its base; the get reads the row
    });
    await f.close();
  });

  it('stamps stay strictly increasing when two engines (processes) share one database file', async () => {
    const path = tempDbPath();
    const now = (): number => Date.parse('2026-03-01T00:00:00.000Z'); // one millisecond for all
    const a = await openTestFerry({ path, now });
    const b = await openTestFerry({ path, now });
    for (let i = 0; i < 3; i++) {
      await a.tables.notes.create({ title: `a${i}` });
      await b.tables.notes.create({ title: `b${i}` });
      await a.tables.notes.createMany([{ title: `a${i}+` }, { title: `a${i}++` }]);
    }
    const hlcs = (await a.outbox()).map((e) => e.hlc);
    expect(hlcs).toHaveLength(12);
    for (let i = 1; i < hlcs.length; i++) expect(hlcs[i]! > hlcs[i - 1]!).toBe(true);
    await a.close();
    await b.close();
  });
});
