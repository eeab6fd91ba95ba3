import { describe, expect, it } from 'vitest';
import { defineTable, ferrySchema, type SchemaMigration, type TableDecl } from '@ferry/protocol';
import { memoryTokenStore, openFerry } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchemaV2 } from './support/ferry-schema-v2.ts';

// Issue 9 item 2: a new app version adds a table (notebooks) and a nullable column
// (notes.notebook_id). A device's database of the previous version gains them with ALTER /
// CREATE when the engine opens with the new declarations, and keeps its outbox.

async function open<const T extends readonly TableDecl[]>(
  path: string,
  schema: { tables: T; schemaVersion: number; migrations?: readonly SchemaMigration[] },
) {
  const driver = await openNodeDriver(path);
  try {
    return await openFerry({ ...schema, driver, tokenStore: memoryTokenStore() });
  } catch (e) {
    await driver.close();
    throw e;
  }
}

async function columns(path: string, table: string): Promise<string[]> {
  const d = await openNodeDriver(path);
  const cols = await d.transaction((tx) =>
    tx.all<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`),
  );
  await d.close();
  return cols.map((c) => c.name);
}

describe('local schema evolution', () => {
  it('a schema-2 database gains notebooks and notes.notebook_id, keeping its outbox', async () => {
    const path = tempDbPath();
    const old = await open(path, ferrySchemaV2);
    const a = await old.tables.notes.create({ title: 'offline', content: 'queued' });
    await old.tables.notes.update(a.id, { title: 'offline, edited' });
    const queued = await old.outbox();
    expect(queued).toHaveLength(2);
    await old.close();

    const f = await open(path, ferrySchema);
    expect(await f.outbox()).toEqual(queued);
    expect(await columns(path, 'notes')).toContain('notebook_id');
    const note = await f.tables.notes.get(a.id);
    expect(note).toMatchObject({ title: 'offline, edited', notebook_id: null, synced: 0 });
    const nb = await f.tables.notebooks.create({ name: 'Work' });
    await f.tables.notes.update(a.id, { notebook_id: nb.id });
    expect(await f.tables.notes.get(a.id)).toMatchObject({ notebook_id: nb.id });
    expect(await f.outbox()).toHaveLength(4);
    await f.close();
  });

  it('refuses a field that is no longer declared, naming the table and the field', async () => {
    const path = tempDbPath();
    await (await open(path, ferrySchema)).close();
    await expect(open(path, ferrySchemaV2)).rejects.toThrow(
      /table "notes", field "notebook_id".*(drop|renam)/,
    );
    // Renamed: the new name is added, the old one would be left behind.
    const renamed = defineTable('notes', {
      fields: { heading: { type: 'text', maxChars: 1000 }, content: { type: 'text' } },
      timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
    });
    await expect(open(path, { tables: [renamed], schemaVersion: 3 })).rejects.toThrow(
      /table "notes", field "title"/,
    );
  });

  it('refuses a synced table that is no longer declared', async () => {
    const path = tempDbPath();
    await (await open(path, ferrySchema)).close();
    const [notes] = ferrySchema.tables;
    await expect(open(path, { tables: [notes], schemaVersion: 3 })).rejects.toThrow(
      /table "notebooks".*(drop|renam)/,
    );
  });

  it('a migration that says how: a renamed field keeps its values and its queued writes', async () => {
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    const n = await first.tables.notes.create({ title: 'kept', content: '' });
    await first.close();
    const notes = defineTable('notes', {
      fields: {
        heading: { type: 'text', maxChars: 1000, since: 4, default: '' },
        content: { type: 'text', maxBytes: 1024 * 1024, merge: 'text', mergeSince: 2, default: '' },
        notebook_id: { type: 'uuid', nullable: true, since: 3 },
      },
      timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
    });
    const [, notebooks] = ferrySchema.tables;
    const f = await open(path, {
      tables: [notes, notebooks],
      schemaVersion: 4,
      migrations: [{ table: 'notes', renameField: { from: 'title', to: 'heading' } }],
    });
    expect(await f.tables.notes.get(n.id)).toMatchObject({ heading: 'kept' });
    const [entry] = await f.outbox();
    expect(entry!.fields).toMatchObject({ heading: 'kept' });
    expect(entry!.fields).not.toHaveProperty('title');
    await f.close();
  });

  it('refuses a new non-null field without a default, at declaration', () => {
    expect(() =>
      defineTable('todos', {
        fields: { title: { type: 'text' }, owner: { type: 'text', since: 2 } },
        since: 1,
      }),
    ).toThrow(/table "todos", field "owner".*(nullable|default)/);
  });
});

describe('list and count by field', () => {
  it('filters on declared fields by equality, null included', async () => {
    const f = await open(tempDbPath(), ferrySchema);
    const work = await f.tables.notebooks.create({ name: 'Work' });
    const a = await f.tables.notes.create({ title: 'a', content: '', notebook_id: work.id });
    const b = await f.tables.notes.create({ title: 'b', content: '' });
    const inWork = await f.tables.notes.list({ where: { notebook_id: work.id } });
    expect(inWork.map((n) => n.id)).toEqual([a.id]);
    expect((await f.tables.notes.list({ where: { notebook_id: null } })).map((n) => n.id)).toEqual([
      b.id,
    ]);
    expect(await f.tables.notes.count({ where: { notebook_id: work.id } })).toBe(1);
    await expect(f.tables.notes.list({ where: { colour: 'red' } })).rejects.toThrow(/colour/);
    await f.close();
  });
});
