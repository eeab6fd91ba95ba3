// @vitest-environment jsdom
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { createTauriDriver, createTauriReader, fromWire, toWire } from '../src/tauri-driver.ts';
import { installFakeShell } from './support/fake-shell.ts';

afterEach(() => clearMocks());

describe('the Tauri SQLite driver', () => {
  it('maps a transaction to its first statement with the begin, statements with its id, and commit', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    const rows = await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)');
      const r = await tx.run('INSERT INTO t VALUES (?, ?)', ['a', 1]);
      expect(r).toEqual({ changes: 1 });
      return tx.all('SELECT * FROM t');
    });
    expect(rows).toEqual([{ id: 'a', n: 1 }]);
    expect(shell.calls.map((c) => c.cmd)).toEqual([
      'db_begin_with',
      'db_run',
      'db_all',
      'db_commit',
    ]);
    expect(shell.calls[0]?.args).toEqual({
      first: { kind: 'exec', sql: 'CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)' },
    });
    const ids = new Set(shell.calls.slice(1).map((c) => c.args.tx));
    expect(ids).toEqual(new Set([1]));
    expect(shell.calls[1]?.args).toEqual({
      tx: 1,
      sql: 'INSERT INTO t VALUES (?, ?)',
      params: ['a', 1],
    });
  });

  it('starts with db_begin when a batch comes first, and not at all with no statement', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (n INTEGER)');
    });
    shell.calls.length = 0;
    expect(await driver.transaction(() => Promise.resolve('nothing'))).toBe('nothing');
    expect(shell.calls).toEqual([]);
    await driver.transaction(async (tx) => {
      await tx.runMany!('INSERT INTO t VALUES (?)', [[1], [2]]);
      expect(await tx.all('SELECT count(*) AS n FROM t')).toEqual([{ n: 2 }]);
    });
    expect(shell.calls.map((c) => c.cmd)).toEqual(['db_begin', 'db_batch', 'db_all', 'db_commit']);
  });

  it('keeps the transaction its failing first statement started, for the engine to go on or roll back', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)');
      await tx.run('INSERT INTO t VALUES (1)');
    });
    shell.calls.length = 0;
    const n = await driver.transaction(async (tx) => {
      await expect(tx.run('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ kind: 'sqlite' });
      await tx.run('INSERT INTO t VALUES (2)');
      return tx.all('SELECT n FROM t ORDER BY n');
    });
    expect(n).toEqual([{ n: 1 }, { n: 2 }]);
    expect(shell.calls.map((c) => c.cmd)).toEqual([
      'db_begin_with',
      'db_run',
      'db_all',
      'db_commit',
    ]);
    await expect(
      driver.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (3)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(shell.calls.at(-1)?.cmd).toBe('db_rollback');
    expect(await driver.transaction((tx) => tx.all('SELECT count(*) AS n FROM t'))).toEqual([
      { n: 2 },
    ]);
  });

  it('sends runMany as one db_batch call: one SQL text, the rows encoded like parameters', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    const many = await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)');
      shell.calls.length = 0;
      const r = await tx.runMany!('INSERT INTO t VALUES (?, ?)', [
        ['a', 1],
        ['b', 2n ** 60n],
      ]);
      expect(await tx.runMany!('INSERT INTO t VALUES (?, ?)', [])).toEqual({ changes: 0 });
      return r;
    });
    expect(many).toEqual({ changes: 2 });
    expect(shell.calls.map((c) => c.cmd)).toEqual(['db_batch', 'db_commit']);
    expect(shell.calls[0]?.args).toEqual({
      tx: 1,
      sql: 'INSERT INTO t VALUES (?, ?)',
      rows: [
        ['a', 1],
        ['b', { $int: String(2n ** 60n) }],
      ],
    });
  });

  it('reads through db_read, outside the turn: committed rows only, while a transaction is open', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    const reader = createTauriReader();
    await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)');
      await tx.run('INSERT INTO t VALUES (?, ?)', ['a', 2n ** 60n]);
    });
    const seen = await driver.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (?, ?)', ['b', 2]);
      // The transaction is still open: a reader waiting for the turn would never get here.
      return reader.all<{ id: string; n: bigint }>('SELECT * FROM t WHERE id >= ? ORDER BY id', [
        'a',
      ]);
    });
    expect(seen).toEqual([{ id: 'a', n: 2n ** 60n }]);
    expect(shell.calls.filter((c) => c.cmd === 'db_read')[0]?.args).toEqual({
      sql: 'SELECT * FROM t WHERE id >= ? ORDER BY id',
      params: ['a'],
    });
    expect(await reader.all('SELECT id FROM t ORDER BY id')).toEqual([{ id: 'a' }, { id: 'b' }]);
    await expect(reader.all('DELETE FROM t')).rejects.toThrow(/queries only/);
  });

  it('rolls back and rethrows when the function throws', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    await expect(
      driver.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', ['kept?']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(shell.calls.at(-1)?.cmd).toBe('db_rollback');
    expect(await driver.transaction((tx) => tx.all('SELECT * FROM t'))).toEqual([]);
  });

  it('surfaces a failing statement as a rejection and rolls back', async () => {
    installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    await expect(
      driver.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [null])),
    ).rejects.toThrow(/NOT NULL/);
    await expect(
      driver.transaction((tx) => tx.all('SELECT count(*) AS n FROM t')),
    ).resolves.toEqual([{ n: 0 }]);
  });

  it("hands the shell's typed error to the engine as an Error that keeps its kind", async () => {
    installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    const failed: unknown = await driver
      .transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [null]))
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as { kind?: unknown }).kind).toBe('sqlite');
    expect((failed as Error).message).toMatch(/NOT NULL/);
    const reader = createTauriReader();
    await expect(reader.all('DELETE FROM t')).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('marks a runMany whose failure gives up the transaction (abortsTransaction) as whole: no savepoint in the shell', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
      shell.calls.length = 0;
      await tx.runMany!('INSERT INTO t VALUES (?)', [['a']], { abortsTransaction: true });
      await tx.runMany!('INSERT INTO t VALUES (?)', [['b']]);
    });
    expect(shell.calls.map((c) => c.args.whole)).toEqual([true, undefined, undefined]);
  });

  it('encodes bigints and blobs for IPC and decodes them back', async () => {
    installFakeShell();
    const driver = createTauriDriver();
    const big = 2n ** 62n;
    const rows = await driver.transaction(async (tx) => {
      await tx.exec('CREATE TABLE v (a, b, c, d)');
      await tx.run('INSERT INTO v VALUES (?, ?, ?, ?)', [
        big,
        new Uint8Array([1, 2, 255]),
        2.5,
        null,
      ]);
      return tx.all<Record<string, unknown>>('SELECT * FROM v');
    });
    expect(rows[0]).toEqual({ a: big, b: new Uint8Array([1, 2, 255]), c: 2.5, d: null });
    expect(toWire(5n)).toEqual({ $int: '5' });
    expect(fromWire({ $blob: [9] })).toEqual(new Uint8Array([9]));
    expect(() => toWire(Number.NaN)).toThrow(/cannot bind/);
  });

  it('binds every kind of value in runMany as run binds it (the binary body of db_batch)', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver(undefined, 2);
    const values = [
      ['héllo ✓ 🚢', 7, 2.5, -0, 2n ** 62n, -(2n ** 63n), new Uint8Array([0, 255]), null, ''],
    ];
    const [viaRun, viaBatch] = await driver.transaction(async (tx) => {
      await tx.exec(
        'CREATE TABLE r (a, b, c, d, e, f, g, h, i); CREATE TABLE m (a, b, c, d, e, f, g, h, i)',
      );
      await tx.run('INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', values[0]);
      await tx.runMany!('INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', values);
      return [await tx.all('SELECT * FROM r'), await tx.all('SELECT * FROM m')];
    });
    expect(viaBatch).toEqual(viaRun);
    expect(shell.calls.find((c) => c.cmd === 'db_batch')?.args.db).toBe(2);
    await expect(
      driver.transaction((tx) => tx.runMany!('INSERT INTO m (a) VALUES (?)', [[2n ** 63n]])),
    ).rejects.toThrow(/64 bits/);
  });

  it('lets concurrent transactions wait their turn instead of interleaving', async () => {
    installFakeShell();
    const driver = createTauriDriver();
    await driver.transaction((tx) => tx.exec('CREATE TABLE c (n INTEGER)'));
    await Promise.all(
      Array.from({ length: 8 }, () =>
        driver.transaction(async (tx) => {
          const [row] = await tx.all<{ n: number }>('SELECT count(*) AS n FROM c');
          await new Promise((r) => setTimeout(r, 1));
          await tx.run('INSERT INTO c VALUES (?)', [row!.n]);
        }),
      ),
    );
    const rows = await driver.transaction((tx) =>
      tx.all<{ n: number }>('SELECT n FROM c ORDER BY n'),
    );
    expect(rows.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses statements after its transaction ended and calls after close', async () => {
    installFakeShell();
    const driver = createTauriDriver();
    let leaked: Parameters<Parameters<typeof driver.transaction>[0]>[0] | null = null;
    await driver.transaction((tx) => {
      leaked = tx;
      return Promise.resolve();
    });
    await expect(leaked!.all('SELECT 1')).rejects.toThrow(/already finished/);
    await driver.close();
    await expect(driver.transaction((tx) => tx.all('SELECT 1'))).rejects.toThrow(/closed/);
  });

  it('names the scratch database on every call when given one', async () => {
    const shell = installFakeShell();
    const driver = createTauriDriver(undefined, 3);
    await driver.transaction((tx) => tx.all('SELECT 1 AS one'));
    expect(shell.calls.every((c) => c.args.db === 3)).toBe(true);
  });
});
