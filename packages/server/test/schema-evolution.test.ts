import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTable } from '@ferry/protocol';
import { createTestDatabase } from '../src/testing/index.ts';
import { createServer } from '../src/index.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

// Issue 9 item 2: the server serves every schema version from minSchemaVersion to schemaVersion.
// A client of schema 2 (before notebooks) is sent neither notebooks nor notes.notebook_id, may not
// write them, and its writes leave them as they are; a row it creates gets their defaults.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

const v2 = { schemaVersion: 2 };

describe('serving an older schema', () => {
  it('a schema-2 client neither receives nor overwrites what it does not know', async () => {
    const u = await signup(s.url);
    const fresh = new Device(s.url, u.token);
    const old = new Device(s.url, u.token);
    const book = newId();
    const note = newId();
    const now = new Date().toISOString();
    const made = await fresh.sync([
      fresh.mutation('notebooks', book, 'upsert', {
        name: 'Work',
        created_at: now,
        updated_at: now,
      }),
      fresh.mutation('notes', note, 'upsert', { ...newNote('filed'), notebook_id: book }),
    ]);
    expect(made.body.results.map((r) => r.status)).toEqual(['applied', 'applied']);

    for (const compact of [{}, { compact: 1 }]) {
      const pulled = await new Device(s.url, u.token).sync([], { ...v2, ...compact });
      expect(JSON.stringify(pulled.body)).not.toContain('notebook');
    }
    const edit = await old.sync([old.mutation('notes', note, 'upsert', { title: 'renamed' })], v2);
    expect(edit.body.results[0]).toMatchObject({ status: 'applied' });
    expect(JSON.stringify(edit.body)).not.toContain('notebook');
    const refused = await old.sync(
      [old.mutation('notes', note, 'upsert', { notebook_id: null })],
      v2,
    );
    expect(refused.body.results[0]).toMatchObject({ status: 'rejected', code: 'unknown_field' });
    const created = newId();
    await old.sync([old.mutation('notes', created, 'upsert', newNote('from v2'))], v2);

    const all = await new Device(s.url, u.token).sync();
    const rows = new Map(all.body.changes.map((c) => [c.row.id, c.row] as const));
    expect(rows.get(note)).toMatchObject({ title: 'renamed', notebook_id: book });
    expect(rows.get(created)).toMatchObject({ title: 'from v2', notebook_id: null });
    expect(rows.get(book)).toMatchObject({ name: 'Work' });
  });
});

describe('a schema change at start-up', () => {
  it('adds a defaulted field to stored rows, and refuses a dropped field naming table and field', async () => {
    const db = await createTestDatabase();
    try {
      const start = (tables: Parameters<typeof createServer>[0]['tables'], schemaVersion: number) =>
        createServer({ tables, schemaVersion, port: 0, logLevel: 'silent', databaseUrl: db.url });
      const todos = defineTable('todos', { fields: { title: { type: 'text' } } });
      const first = await start([todos], 1);
      const u = await signup(first.url);
      const d = new Device(first.url, u.token);
      const id = newId();
      await d.sync([d.mutation('todos', id, 'upsert', { title: 'stored' })], { schemaVersion: 1 });
      await first.close();

      const todos2 = defineTable('todos', {
        fields: {
          title: { type: 'text' },
          priority: { type: 'integer', since: 2, default: 3 },
        },
      });
      const second = await start([todos2], 2);
      const pulled = await new Device(second.url, u.token).sync([], { schemaVersion: 2 });
      expect(pulled.body.changes[0]!.row).toMatchObject({ id, title: 'stored', priority: 3 });
      await second.close();

      await expect(start([todos], 2)).rejects.toThrow(/table "todos", field "priority".*drop/);
      const renamed = defineTable('todos', {
        fields: { name: { type: 'text' }, priority: { type: 'integer', since: 2, default: 3 } },
      });
      await expect(start([renamed], 2)).rejects.toThrow(/table "todos", field "title"/);
    } finally {
      await db.drop();
    }
  });
});
