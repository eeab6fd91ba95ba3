/**
 * The driver self-test, run inside the real app (webview → IPC → Rust → SQLite) by the
 * end-to-end test through WebDriver. Installed only when the shell runs with
 * `FERRY_DESKTOP_SELF_TEST=1`; every check uses its own scratch database, never the user's.
 */
import type { SqlDriver } from '@ferry/client';
import { driverChecks, storeChecks } from '@ferry/client/testing';
import { openScratchDriver, openScratchPair } from './tauri-driver.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
  /** What a check measured (logged by the end-to-end test; never a pass/fail criterion). */
  detail?: string;
}

export interface SelfTestReport {
  ok: boolean;
  results: CheckResult[];
}

/** A check; it may return a measurement to report. */
type Check = (open: () => Promise<SqlDriver>) => Promise<void | string>;

function assert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Checks of the IPC bridge itself, beyond the engine's shared suite. */
const bridgeChecks: Record<string, Check> = {
  async 'a transaction commits whole or not at all'(open) {
    const d = await open();
    await d.transaction((tx) =>
      tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'),
    );
    await d
      .transaction(async (tx) => {
        await tx.run('INSERT INTO t (v) VALUES (?)', ['a']);
        await tx.run('INSERT INTO t (v) VALUES (?)', [null]);
      })
      .then(
        () => assert(false, 'the NOT NULL insert should have failed'),
        () => undefined,
      );
    const rows = await d.transaction((tx) => tx.all<{ n: number }>('SELECT count(*) AS n FROM t'));
    assert(rows[0]?.n === 0, `rolled-back rows are visible: ${JSON.stringify(rows)}`);
  },
  async 'concurrent transactions from the page never interleave'(open) {
    const d = await open();
    await d.transaction((tx) => tx.exec('CREATE TABLE c (n INTEGER NOT NULL)'));
    await Promise.all(
      Array.from({ length: 12 }, () =>
        d.transaction(async (tx) => {
          const [row] = await tx.all<{ n: number }>('SELECT count(*) AS n FROM c');
          await new Promise((r) => setTimeout(r, 1));
          await tx.run('INSERT INTO c (n) VALUES (?)', [row?.n ?? -1]);
        }),
      ),
    );
    const rows = await d.transaction((tx) => tx.all<{ n: number }>('SELECT n FROM c ORDER BY n'));
    assert(
      rows.map((r) => r.n).join() === Array.from({ length: 12 }, (_, i) => i).join(),
      `interleaved: ${JSON.stringify(rows)}`,
    );
  },
  async 'the read connection answers while a write transaction is open, with committed rows only'() {
    const { driver, reader } = await openScratchPair();
    await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE r (id TEXT PRIMARY KEY)');
      await tx.run("INSERT INTO r VALUES ('committed')");
    });
    const seen = await driver.transaction(async (tx) => {
      await tx.runMany?.('INSERT INTO r VALUES (?)', [['open 1'], ['open 2']]);
      // Still inside the transaction: a read that waited for the turn would never return here.
      return reader.all<{ id: string }>('SELECT id FROM r ORDER BY id');
    });
    assert(seen.map((r) => r.id).join() === 'committed', `read saw ${JSON.stringify(seen)}`);
    const after = await reader.all<{ n: number }>('SELECT count(*) AS n FROM r');
    assert(after[0]?.n === 3, `after the commit the reader sees it: ${JSON.stringify(after)}`);
    const refused = await reader.all('DELETE FROM r').then(
      () => false,
      () => true,
    );
    assert(refused, 'the read connection must refuse a write');
  },
  async 'values survive the trip through IPC'(open) {
    const d = await open();
    const big = 2n ** 60n + 1n;
    const back = await d.transaction(async (tx) => {
      await tx.exec('CREATE TABLE v (a, b, c, d, e)');
      await tx.run('INSERT INTO v VALUES (?, ?, ?, ?, ?)', [
        'ünïcode ✓',
        1.25,
        null,
        big,
        new Uint8Array([0, 7, 255]),
      ]);
      return tx.all<Record<string, unknown>>('SELECT * FROM v');
    });
    const r = back[0] ?? {};
    assert(
      r.a === 'ünïcode ✓' && r.b === 1.25 && r.c === null && r.d === big,
      `values changed: ${String(r.a)} ${String(r.b)} ${String(r.d)}`,
    );
    assert(r.e instanceof Uint8Array && r.e.join() === '0,7,255', 'blob changed');
  },
};

/** A pulled page's worth of note rows, upserted as the engine does (`apply.ts`). */
const PAGE_UPSERT =
  'INSERT INTO n (id, title, content, created_at, updated_at, synced) VALUES (?, ?, ?, ?, ?, 1) ' +
  'ON CONFLICT (id) DO UPDATE SET title = excluded.title, content = excluded.content, ' +
  'created_at = excluded.created_at, updated_at = excluded.updated_at, synced = 1';
const pageRows = (tag: string): string[][] =>
  Array.from({ length: 1000 }, (_, i) => {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
    return [`${tag}-${i}`, `note ${i}`, `${'lorem ipsum '.repeat(16)}${i}`, at, at];
  });

/** Measurements of the bridge, reported with the checks (the bound on a UI write's wait). */
const figureChecks: Record<string, Check> = {
  async 'a page of 1 000 note rows in one transaction: db_batch against one db_run per row'(open) {
    const d = await open();
    await d.transaction((tx) =>
      tx.exec(
        'CREATE TABLE n (id TEXT PRIMARY KEY, title TEXT, content TEXT, created_at TEXT, updated_at TEXT, synced INTEGER)',
      ),
    );
    const t0 = performance.now();
    await d.transaction((tx) => tx.runMany!(PAGE_UPSERT, pageRows('batch')));
    const t1 = performance.now();
    await d.transaction(async (tx) => {
      for (const r of pageRows('run')) await tx.run(PAGE_UPSERT, r);
    });
    const t2 = performance.now();
    const [count] = await d.transaction((tx) =>
      tx.all<{ n: number }>('SELECT count(*) AS n FROM n'),
    );
    assert(count?.n === 2000, `both pages written: ${JSON.stringify(count)}`);
    return `db_batch ${(t1 - t0).toFixed(0)} ms, 1 000 × db_run ${(t2 - t1).toFixed(0)} ms (begin and commit included)`;
  },
};

/** Runs the engine's shared driver and store suites, then the bridge's own checks. */
export async function runSelfTest(): Promise<SelfTestReport> {
  const open = () => openScratchDriver();
  const results: CheckResult[] = [];
  const run = async (name: string, check: () => Promise<void | string>): Promise<void> => {
    try {
      const detail = await check();
      results.push({ name, ok: true, ...(typeof detail === 'string' ? { detail } : {}) });
    } catch (e) {
      results.push({
        name,
        ok: false,
        error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e),
      });
    }
  };
  for (const [name, check] of Object.entries(bridgeChecks))
    await run(`bridge: ${name}`, () => check(open));
  for (const c of driverChecks) await run(`driver: ${c.name}`, () => c.run(open));
  for (const c of storeChecks) await run(`store: ${c.name}`, () => c.run(open));
  for (const [name, check] of Object.entries(figureChecks))
    await run(`figure: ${name}`, () => check(open));
  return { ok: results.length > 0 && results.every((r) => r.ok), results };
}

declare global {
  interface Window {
    __ferrySelfTest?: () => Promise<SelfTestReport>;
  }
}

/** Exposes `window.__ferrySelfTest` for the end-to-end test. */
export function installSelfTest(w: Window): void {
  w.__ferrySelfTest = runSelfTest;
}
