import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableDecl } from '@ferry/protocol';
import { createServer } from '@ferry/server';
import { createTestDatabase } from '@ferry/server/testing';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';

// Issue 9: a table declared without its server `version` field type-checked, wrote locally, and
// then every sync failed with `500 internal error`, retried for ever. It must fail at start-up,
// on the device and on the server, with a message naming the table and the field.
const noVersion = {
  name: 'todos',
  policy: 'lww',
  searchFields: ['title'],
  deletedField: 'deleted_at',
  fields: {
    title: { type: 'text', writtenBy: 'client', requiredOnCreate: true },
    deleted_at: { type: 'timestamp', writtenBy: 'client', nullable: true },
  },
} as const satisfies TableDecl;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('a table declared without a version field', () => {
  it('is refused when the engine opens', async () => {
    const driver = await openNodeDriver(tempDbPath());
    await expect(
      openFerry({ driver, tokenStore: memoryTokenStore(), tables: [noVersion], schemaVersion: 1 }),
    ).rejects.toThrow(/table "todos".*"version"/);
    await driver.close().catch(() => undefined);
  });

  it('is refused when the server starts', async () => {
    const start = createServer({
      schemaVersion: 1,
      port: 0,
      logLevel: 'silent',
      databaseUrl: db.url,
      tables: [noVersion],
    });
    await expect(start.then((s) => s.close())).rejects.toThrow(/table "todos".*"version"/);
  });
});
