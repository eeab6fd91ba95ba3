import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  checkFields,
  isIsoUtc,
  missingOnCreate,
  notes,
  sqliteTableDdl,
  postgresTableDdl,
  clientFields,
  uuidv7,
  isUuid,
} from '../src/index.ts';

describe('notes declaration', () => {
  it('generates SQLite DDL with the seed columns plus synced', () => {
    const db = new Database(':memory:');
    db.exec(sqliteTableDdl(notes));
    const cols = db.prepare('PRAGMA table_info(notes)').all() as { name: string }[];
    expect(cols.map((c) => c.name)).toEqual([
      'id',
      'title',
      'content',
      'notebook_id',
      'created_at',
      'updated_at',
      'deleted_at',
      'version',
      'synced',
    ]);
  });

  it('generates PostgreSQL DDL keyed by owner and id with a position index', () => {
    const [table, index] = postgresTableDdl(notes);
    expect(table).toContain('PRIMARY KEY (user_id, id)');
    expect(index).toContain('(user_id, position)');
  });

  it('lets clients write only client fields', () => {
    expect(clientFields(notes)).toEqual([
      'title',
      'content',
      'notebook_id',
      'created_at',
      'updated_at',
      'deleted_at',
    ]);
    expect(checkFields(notes, { version: 3 })?.code).toBe('server_field');
    expect(checkFields(notes, { synced: 1 })?.code).toBe('unknown_field');
    expect(checkFields(notes, { user_id: 'x' })?.code).toBe('unknown_field');
    expect(checkFields(notes, { position: 1 })?.code).toBe('unknown_field');
    expect(checkFields(notes, { __proto__: 1, title: 'a' })).toBeNull();
    expect(
      checkFields(notes, JSON.parse('{"__proto__": "x"}') as Record<string, unknown>)?.code,
    ).toBe('unknown_field');
  });

  it('checks values and sizes', () => {
    expect(checkFields(notes, { title: 'x'.repeat(1000) })).toBeNull();
    expect(checkFields(notes, { title: 'x'.repeat(1001) })?.code).toBe('too_large');
    expect(checkFields(notes, { title: '😀'.repeat(1000) })).toBeNull();
    expect(checkFields(notes, { content: 'é'.repeat(512 * 1024) })).toBeNull();
    expect(checkFields(notes, { content: 'é'.repeat(512 * 1024 + 1) })?.code).toBe('too_large');
    expect(checkFields(notes, { title: null })?.code).toBe('invalid_value');
    expect(checkFields(notes, { deleted_at: null })).toBeNull();
    expect(checkFields(notes, { deleted_at: 'yesterday' })?.code).toBe('invalid_value');
    expect(checkFields(notes, { title: 5 })?.code).toBe('invalid_value');
    expect(missingOnCreate(notes, { title: 'a' })).toBe('content');
  });

  it('accepts only ISO-8601 UTC timestamps', () => {
    expect(isIsoUtc('2026-02-17T10:00:00Z')).toBe(true);
    expect(isIsoUtc('2026-02-17T10:00:00.123Z')).toBe(true);
    expect(isIsoUtc('2026-02-17T10:00:00+01:00')).toBe(false);
    expect(isIsoUtc('2026-13-17T10:00:00Z')).toBe(false);
  });

  it('makes time-ordered lowercase UUIDv7 ids', () => {
    const a = uuidv7(1000);
    const b = uuidv7(2000);
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('7');
    expect(a < b).toBe(true);
  });
});

describe('merge policies', () => {
  it('derives the text fields from the declaration', async () => {
    const { textFields, keepsRevisions, withTextConflicts, withPolicy, servedTo, defineTable } =
      await import('../src/index.ts');
    expect(textFields(notes)).toEqual(['content']);
    expect(keepsRevisions(notes)).toBe(true);
    // Under the version policy a stale edit is a conflict as a whole: nothing merges.
    expect(textFields(withPolicy(notes, 'version'))).toEqual([]);
    const memos = defineTable('memos', {
      fields: { body: { type: 'text', merge: 'text' }, content: { type: 'text', merge: 'lww' } },
    });
    expect(textFields(memos)).toEqual(['body']);
    const [, textConflicts] = withTextConflicts([notes]);
    expect(textConflicts?.name).toBe('text_conflicts');
    expect(textFields(textConflicts!)).toEqual([]);
    // Ferry's notes merge text from schema 2: text_conflicts is served from 2.
    expect([servedTo(textConflicts!, 1), servedTo(textConflicts!, 2), servedTo(notes, 1)]).toEqual([
      false,
      true,
      true,
    ]);
    // An app whose text field merged from the start is served text_conflicts from 1.
    expect(withTextConflicts([memos])[1]?.sinceSchemaVersion).toBeUndefined();
    expect(withTextConflicts([withPolicy(memos, 'version')])).toHaveLength(1);
  });
});
