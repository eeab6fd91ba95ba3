import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.ts';

// The settings of several processes and of a pooler (docs/scaling.md).
describe('FERRY_WORKERS, FERRY_DATABASE_POOLER, FERRY_LISTEN_DATABASE_URL', () => {
  it('default to one process talking to PostgreSQL directly', () => {
    expect(loadConfig({}, [])).toMatchObject({
      workers: 1,
      databasePooler: 'none',
      listenDatabaseUrl: undefined,
    });
  });

  it('parse from the environment and flags', () => {
    const c = loadConfig(
      {
        FERRY_WORKERS: '3',
        DATABASE_URL: 'postgres://p@127.0.0.1:6432/f',
        FERRY_DATABASE_POOLER: 'transaction',
      },
      ['--listen-database-url', 'postgres://p@127.0.0.1:5432/f'],
    );
    expect(c).toMatchObject({
      workers: 3,
      databasePooler: 'transaction',
      listenDatabaseUrl: 'postgres://p@127.0.0.1:5432/f',
    });
  });

  it('refuse a pooler without a direct URL for LISTEN, or without a database URL, and bad values', () => {
    expect(() =>
      loadConfig(
        { DATABASE_URL: 'postgres://p@h:6432/f', FERRY_DATABASE_POOLER: 'transaction' },
        [],
      ),
    ).toThrow(/FERRY_LISTEN_DATABASE_URL/);
    expect(() =>
      loadConfig(
        { FERRY_DATABASE_POOLER: 'transaction', FERRY_LISTEN_DATABASE_URL: 'postgres://p@h/f' },
        [],
      ),
    ).toThrow(/needs DATABASE_URL/);
    expect(() => loadConfig({ FERRY_DATABASE_POOLER: 'session' }, [])).toThrow(/none, transaction/);
    expect(() => loadConfig({ FERRY_WORKERS: '0' }, [])).toThrow(/between 1 and 256/);
  });
});
