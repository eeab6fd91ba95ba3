import { describe, expect, it } from 'vitest';
import { LOCAL_SCHEMA_VERSION } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { openTestFerry, tempDbPath } from './helpers.ts';

describe('local schema upgrade', () => {
  it('a database of schema 1 gains the text-merge columns and keeps its queue', async () => {
    const path = tempDbPath();
    const old = await openNodeDriver(path);
    await old.transaction(async (tx) => {
      await tx.exec(`CREATE TABLE sync_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, record_id TEXT NOT NULL,
        operation TEXT NOT NULL, fields TEXT NOT NULL, hlc TEXT NOT NULL, base_version INTEGER,
        created_at TEXT NOT NULL);
        PRAGMA user_version = 1;`);
      await tx.run(
        "INSERT INTO sync_queue (table_name, record_id, operation, fields, hlc, base_version, created_at) VALUES ('notes', 'x', 'upsert', '{}', 'h', 3, 'now')",
      );
    });
    await old.close();
    const f = await openTestFerry({ path });
    const [e] = await f.outbox();
    expect(e).toMatchObject({ seq: 1, baseVersion: 3, baseSeq: null, textVersion: null });
    await f.close();
    const again = await openNodeDriver(path);
    const [v] = await again.transaction((tx) =>
      tx.all<{ user_version: number }>('PRAGMA user_version'),
    );
    expect(v!.user_version).toBe(LOCAL_SCHEMA_VERSION);
    await again.close();
  });
});
