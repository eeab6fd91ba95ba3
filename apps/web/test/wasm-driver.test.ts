/**
 * The page's driver over the database worker, against a fake worker that records its requests:
 * how many messages a transaction costs. Each is a round trip between the page and the worker
 * (a create is several statements), so BEGIN rides with the first statement, and a transaction
 * that only read does not wait for its COMMIT. The real worker runs the shared driver checks in
 * the browser (browser-checks.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../src/db/protocol.ts';
import { openWasmDriver } from '../src/db/wasm-driver.ts';
import type { WorkerLink } from '../src/db/worker-link.ts';

/** A worker that answers at once, except COMMIT, which waits for `commit()`. */
function fakeWorker() {
  const sent: Call[] = [];
  const commits: (() => void)[] = [];
  const link: WorkerLink = {
    call<T>(req: Call): Promise<T> {
      sent.push(req);
      const answer = { open: 1, all: [], run: 0, runMany: 0 } as Record<string, unknown>;
      const isCommit = req.op === 'commit' || (req.op === 'exec' && req.sql === 'COMMIT');
      if (isCommit) return new Promise<T>((resolve) => commits.push(() => resolve(null as T)));
      return Promise.resolve((answer[req.op] ?? null) as T);
    },
  };
  return { link, sent, commit: () => commits.shift()?.() };
}

const describeReq = (r: Call): string =>
  `${'commitFirst' in r && r.commitFirst ? 'commit+' : ''}${r.op}` +
  `${'begin' in r && r.begin ? '+begin' : ''}${'sql' in r ? ` ${r.sql}` : ''}`;

describe('the web driver', () => {
  it('sends a transaction of two statements as two messages and a commit', async () => {
    const w = fakeWorker();
    const driver = await openWasmDriver(w.link, 'a.sqlite3');
    w.sent.length = 0;
    const done = driver.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (?)', [1]);
      return tx.all('SELECT * FROM t');
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(w.sent.map(describeReq)).toEqual([
      'run+begin INSERT INTO t VALUES (?)',
      'all SELECT * FROM t',
      'commit',
    ]);
    let settled = false;
    void done.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(settled).toBe(false); // a write is not done before its commit is
    w.commit();
    await done;
  });

  it('answers a transaction that only read at once; its commit rides with the next request', async () => {
    const w = fakeWorker();
    const driver = await openWasmDriver(w.link, 'a.sqlite3');
    w.sent.length = 0;
    expect(await driver.transaction((tx) => tx.all('SELECT 1'))).toEqual([]);
    expect(w.sent.map(describeReq)).toEqual(['all+begin SELECT 1']);
    // The worker commits the read before it begins the next transaction.
    const next = driver.transaction((tx) => tx.run('DELETE FROM t'));
    await new Promise((r) => setTimeout(r, 0));
    expect(w.sent.map(describeReq).slice(1)).toEqual(['commit+run+begin DELETE FROM t', 'commit']);
    w.commit();
    await next;
    // And before it closes the database.
    expect(await driver.transaction((tx) => tx.all('SELECT 2'))).toEqual([]);
    await driver.close();
    expect(w.sent.map(describeReq).slice(3)).toEqual(['all+begin SELECT 2', 'commit+close']);
  });

  it('marks a runMany whose failure gives up the transaction (abortsTransaction) as whole', async () => {
    const w = fakeWorker();
    const driver = await openWasmDriver(w.link, 'a.sqlite3');
    w.sent.length = 0;
    const done = driver.transaction(async (tx) => {
      await tx.runMany!('INSERT INTO t VALUES (?)', [[1]], { abortsTransaction: true });
      await tx.runMany!('INSERT INTO t VALUES (?)', [[2]]);
    });
    await new Promise((r) => setTimeout(r, 0));
    w.commit();
    await done;
    expect(w.sent.map((r) => ('whole' in r ? r.whole : undefined))).toEqual([
      true,
      undefined,
      undefined,
    ]);
  });

  it('sends nothing for a transaction without statements', async () => {
    const w = fakeWorker();
    const driver = await openWasmDriver(w.link, 'a.sqlite3');
    w.sent.length = 0;
    expect(await driver.transaction(() => Promise.resolve(7))).toBe(7);
    expect(w.sent).toEqual([]);
  });
});
