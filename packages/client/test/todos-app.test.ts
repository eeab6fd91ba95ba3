import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { defineTable, type RowOf } from '@ferry/protocol';
import { createServer, type RunningServer } from '@ferry/server';
import { createTestDatabase } from '@ferry/server/testing';
import { fetchHttp, memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';

// An app that is not Ferry's notes: its own `todos` table, its own schema version, the same
// declarations handed to the engine on two devices and to a real server.
const todos = defineTable('todos', {
  fields: {
    title: { type: 'text', maxChars: 200 },
    done: { type: 'integer', default: 0 },
    due: { type: 'timestamp', nullable: true },
  },
  timestamps: { createdAt: 'added', updatedAt: 'changed' },
  search: ['title'],
});
const app = { tables: [todos], schemaVersion: 3 } as const;
type Todo = RowOf<typeof todos>;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
beforeAll(async () => {
  db = await createTestDatabase();
  server = await createServer({ ...app, port: 0, logLevel: 'silent', databaseUrl: db.url });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function device() {
  const driver = await openNodeDriver(tempDbPath());
  return openFerry({ ...app, driver, tokenStore: memoryTokenStore(), http: fetchHttp });
}

describe('an app with only a todos table', () => {
  it('syncs between two engines through a server started with its tables', async () => {
    const a = await device();
    const b = await device();
    await a.signup(server.url, `todos-${Date.now()}@example.com`, 'correct horse battery');
    const who = await a.whoami();
    await b.login(server.url, who.email!, 'correct horse battery');

    const t = await a.tables.todos.create({ title: 'buy milk' });
    expectTypeOf(t).toEqualTypeOf<Todo>();
    expect(t).toMatchObject({ title: 'buy milk', done: 0, due: null, synced: 0, version: 0 });
    expect(t.added).toBe(t.changed);
    await a.sync();
    await b.sync();
    expect(await b.tables.todos.get(t.id)).toMatchObject({ title: 'buy milk', synced: 1 });

    await b.tables.todos.update(t.id, { done: 1, due: '2026-12-01T00:00:00.000Z' });
    await b.sync();
    await a.sync();
    expect(await a.tables.todos.get(t.id)).toMatchObject({
      done: 1,
      due: '2026-12-01T00:00:00.000Z',
      version: 2,
    });
    expect((await a.tables.todos.list({ search: 'milk' })).map((r) => r.id)).toEqual([t.id]);
    // No text field merges: the engine adds no text_conflicts table.
    expect(await a.textConflicts()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('checks create and update input at compile time', async () => {
    const f = await device();
    // @ts-expect-error title is required
    await expect(f.tables.todos.create({ done: 1 })).rejects.toThrow('"title" is required');
    // @ts-expect-error done is an integer
    await expect(f.tables.todos.create({ title: 'x', done: 'yes' })).rejects.toThrow('integer');
    // @ts-expect-error the server writes version
    await expect(f.tables.todos.create({ title: 'x', version: 3 })).rejects.toThrow('server');
    // @ts-expect-error no such table
    expect(f.tables.notes).toBeUndefined();
    const t = await f.tables.todos.create({ title: 'x' });
    // @ts-expect-error the soft delete goes through remove/restore
    await expect(f.tables.todos.update(t.id, { deleted_at: null })).rejects.toThrow('remove');
    await f.close();
  });
});
