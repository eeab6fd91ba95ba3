import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTable, ferrySchema, type SchemaMigration, type TableDecl } from '@ferry/protocol';
import { memoryTokenStore, openFerry, type SqlReader, type SqlValue } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { FakeRemote } from '../src/testing/index.ts';
import { tempDbPath } from './helpers.ts';

// Search answers terms of three or more characters from a trigram index (search-index.ts). A
// device's database keeps one in step with the table through every schema change.

async function open<const T extends readonly TableDecl[]>(
  path: string,
  schema: { tables: T; schemaVersion: number; migrations?: readonly SchemaMigration[] },
) {
  const driver = await openNodeDriver(path);
  return openFerry({ ...schema, driver, tokenStore: memoryTokenStore() });
}

/** Names of the database's tables and triggers about the notes index. */
function indexObjects(path: string): string[] {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'notes\\_\\_search%' ESCAPE '\\'")
    .all() as { name: string }[];
  db.close();
  return rows.map((r) => r.name).sort();
}

/** The notes index's FTS5 settings the engine sets (stored in its `_config` shadow table). */
function indexSettings(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare(
      "SELECT k, v FROM notes__search_config WHERE k IN ('hashsize', 'automerge', 'crisismerge')",
    )
    .all() as { k: string; v: unknown }[];
  db.close();
  return Object.fromEntries(rows.map((r) => [r.k, r.v]));
}

/** The SQL of the notes index's triggers, by name. */
function triggers(path: string): Record<string, string> {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'")
    .all() as { name: string; sql: string }[];
  db.close();
  return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
}

const TUNED = { hashsize: 4 * 1024 * 1024, automerge: 16, crisismerge: 32 };

describe('the search index on the device', () => {
  it('a new database gets an index with the settings for bulk pulls', async () => {
    const path = tempDbPath();
    await (await open(path, ferrySchema)).close();
    expect(indexSettings(path)).toEqual(TUNED);
  });

  it('an index made before the settings gets them when the app opens it', async () => {
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    await first.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    await first.close();
    // An index made by an older build: FTS5's defaults, no rows for these keys (a shadow table:
    // writable only outside better-sqlite3's defensive mode).
    const db = new Database(path);
    db.unsafeMode(true);
    db.exec("DELETE FROM notes__search_config WHERE k IN ('hashsize', 'automerge', 'crisismerge')");
    db.close();
    expect(indexSettings(path)).toEqual({});

    const f = await open(path, ferrySchema);
    expect(indexSettings(path)).toEqual(TUNED);
    expect((await f.tables.notes.list({ search: 'kiwi' })).map((n) => n.title)).toEqual([
      'Groceries',
    ]);
    await f.close();
  });

  it('an index made before gets the current triggers when the app opens it, its rows kept', async () => {
    const fresh = tempDbPath();
    await (await open(fresh, ferrySchema)).close();
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    const n = await first.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    await first.close();
    // The pending list's insert as an older build wrote it (INSERT … SELECT … WHERE NOT EXISTS).
    const db = new Database(path);
    const older =
      'INSERT INTO "notes__search_pending" (row) SELECT new.rowid WHERE NOT EXISTS (SELECT 1 FROM "notes__search_pending" WHERE row = new.rowid);';
    db.exec(
      `DROP TRIGGER notes__search_ai; CREATE TRIGGER "notes__search_ai" AFTER INSERT ON "notes" BEGIN ${older} END`,
    );
    db.close();
    expect(triggers(path)).not.toEqual(triggers(fresh));

    const f = await open(path, ferrySchema);
    expect(triggers(path)).toEqual(triggers(fresh));
    // A pending row written again (its trigger's insert finds it listed), then found.
    await f.tables.notes.update(n.id, { content: 'oatmeal, kiwis and mangos' });
    const m = await f.tables.notes.create({ title: 'Mangos', content: 'ripe' });
    await f.tables.notes.update(m.id, { content: 'ripe mangos' });
    expect((await f.tables.notes.list({ search: 'mango' })).map((r) => r.title).sort()).toEqual([
      'Groceries',
      'Mangos',
    ]);
    await f.close();
  });

  it('a database from before the index gets it, filled, when the app opens it', async () => {
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    await first.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    await first.close();
    const db = new Database(path);
    for (const t of ['ai', 'ad', 'au']) db.exec(`DROP TRIGGER notes__search_${t}`);
    db.exec('DROP TABLE notes__search; DROP TABLE notes__search_pending');
    db.close();
    expect(indexObjects(path)).toEqual([]);

    const f = await open(path, ferrySchema);
    expect(indexObjects(path)).toContain('notes__search');
    const found = await f.tables.notes.list({ search: 'TMEAL' });
    expect(found.map((n) => n.title)).toEqual(['Groceries']);
    await f.close();
  });

  it('follows a renamed and a dropped search field', async () => {
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    await first.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    await first.close();
    const [, notebooks] = ferrySchema.tables;
    const heading = { type: 'text', maxChars: 1000, since: 4, default: '' } as const;
    const notebookId = { type: 'uuid', nullable: true, since: 3 } as const;
    const timestamps = {
      createdAt: 'created_at',
      updatedAt: 'updated_at',
      deletedAt: 'deleted_at',
    };
    const content = { type: 'text', merge: 'text', mergeSince: 2, default: '' } as const;
    const withContent = defineTable('notes', {
      fields: { heading, content, notebook_id: notebookId },
      timestamps,
      search: ['heading', 'content'],
    });
    const withoutContent = defineTable('notes', {
      fields: { heading, notebook_id: notebookId },
      timestamps,
      search: ['heading'],
    });
    const renamed = await open(path, {
      tables: [withContent, notebooks],
      schemaVersion: 4,
      migrations: [{ table: 'notes', renameField: { from: 'title', to: 'heading' } }],
    });
    expect((await renamed.tables.notes.list({ search: 'ocer' })).length).toBe(1);
    expect((await renamed.tables.notes.list({ search: 'kiwi' })).length).toBe(1);
    await renamed.close();
    // The index made again over the new fields has the settings too.
    expect(indexSettings(path)).toEqual(TUNED);

    const dropped = await open(path, {
      tables: [withoutContent, notebooks],
      schemaVersion: 5,
      migrations: [
        { table: 'notes', renameField: { from: 'title', to: 'heading' } },
        { table: 'notes', dropField: 'content' },
        { dropTable: 'text_conflicts' },
      ],
    });
    expect((await dropped.tables.notes.list({ search: 'ocer' })).length).toBe(1);
    expect((await dropped.tables.notes.list({ search: 'kiwi' })).length).toBe(0);
    const n = await dropped.tables.notes.create({ heading: 'Kiwi jam' });
    expect((await dropped.tables.notes.list({ search: 'kiwi' })).map((r) => r.id)).toEqual([n.id]);
    await dropped.close();
  });

  it('a sync indexes the rows written since, in the transaction applying its page', async () => {
    const path = tempDbPath();
    const remote = new FakeRemote();
    const driver = await openNodeDriver(path);
    const f = await openFerry({
      ...ferrySchema,
      driver,
      tokenStore: memoryTokenStore(),
      http: remote.http,
    });
    await f.login('http://127.0.0.1:9', 'me@example.com', 'password1');
    const n = await f.tables.notes.create({ title: 'Groceries', content: 'oatmeal and kiwis' });
    const indexed = () => {
      const db = new Database(path, { readonly: true });
      const rows = db
        .prepare('SELECT rowid FROM notes__search WHERE notes__search MATCH \'"kiwi"\'')
        .all();
      const pending = db.prepare('SELECT count(*) AS n FROM notes__search_pending').get();
      db.close();
      return [rows.length, (pending as { n: number }).n];
    };
    expect(indexed()).toEqual([0, 1]);
    await f.sync();
    expect(indexed()).toEqual([1, 0]);
    await f.tables.notes.update(n.id, { content: 'mango' });
    expect(indexed()).toEqual([0, 1]);
    expect((await f.tables.notes.list({ search: 'kiwi' })).length).toBe(0);
    expect((await f.tables.notes.list({ search: 'ango' })).length).toBe(1);
    await f.close();
  });

  it('a searched list and count read the index and the pending rows, never every row', async () => {
    const path = tempDbPath();
    const first = await open(path, ferrySchema);
    for (let i = 0; i < 200; i++)
      await first.tables.notes.create({ title: `Note ${i}`, content: `kiwi ${i}` });
    await first.close();
    const stats = new Database(path);
    stats.exec('ANALYZE');
    stats.close();
    const db = new Database(path, { readonly: true });
    const plans: string[] = [];
    const reader: SqlReader = {
      all: <R>(sql: string, params: readonly SqlValue[] = []) => {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
        plans.push(plan.map((p) => p.detail).join('; '));
        return Promise.resolve(db.prepare(sql).all(...params) as R[]);
      },
    };
    const driver = await openNodeDriver(path);
    const f = await openFerry({ ...ferrySchema, driver, tokenStore: memoryTokenStore(), reader });
    expect((await f.tables.notes.list({ search: 'kiwi 199', limit: 50 })).length).toBe(1);
    expect(await f.tables.notes.count({ search: 'kiwi 199' })).toBe(1);
    await f.close();
    db.close();
    expect(plans).toHaveLength(2);
    for (const plan of plans) {
      expect(plan).toMatch(/VIRTUAL TABLE INDEX/);
      expect(plan).not.toMatch(/SCAN (notes|t)\b(?! USING COVERING)/);
    }
  });
});
