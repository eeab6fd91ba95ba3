import { describe, expect, it } from 'vitest';
import {
  TableDeclError,
  checkTables,
  defineTable,
  notes,
  sqliteTableDdl,
  type FieldSpec,
  type TableDecl,
} from '../src/index.ts';

const todos = defineTable('todos', {
  fields: {
    title: { type: 'text', maxChars: 200 },
    done: { type: 'integer', default: 0 },
    due: { type: 'timestamp', nullable: true },
  },
  timestamps: { createdAt: 'made', updatedAt: 'touched' },
  search: ['title'],
});

describe('defineTable', () => {
  it('adds the soft-delete field, the timestamps by role and the server version', () => {
    expect(Object.keys(todos.fields)).toEqual([
      'title',
      'done',
      'due',
      'made',
      'touched',
      'deleted_at',
      'version',
    ]);
    expect(todos.timestamps).toEqual({ createdAt: 'made', updatedAt: 'touched' });
    expect(todos.deletedField).toBe('deleted_at');
    expect(todos.fields.version).toMatchObject({ type: 'integer', writtenBy: 'server' });
    expect(todos.fields.title?.requiredOnCreate).toBe(true);
    expect(todos.fields.done).toMatchObject({ requiredOnCreate: true, default: 0 });
    expect(todos.fields.due?.requiredOnCreate).toBeUndefined();
    expect(sqliteTableDdl(todos)).toContain('"version" INTEGER NOT NULL DEFAULT 0');
  });

  it("declares Ferry's notes with the seed's columns", () => {
    expect(Object.keys(notes.fields)).toEqual([
      'title',
      'content',
      'notebook_id',
      'created_at',
      'updated_at',
      'deleted_at',
      'version',
    ]);
    expect(notes.timestamps).toEqual({ createdAt: 'created_at', updatedAt: 'updated_at' });
  });

  const bad: [string, () => unknown, RegExp][] = [
    [
      'a bad table name',
      () => defineTable('To-dos', { fields: {} }),
      /table "To-dos": "To-dos" is not a valid SQL identifier/,
    ],
    [
      'a bad field name',
      () => defineTable('todos', { fields: { 'drop table': { type: 'text' } } }),
      /table "todos", field "drop table": .* not a valid SQL identifier/,
    ],
    [
      'a field named like an implicit column',
      () => defineTable('todos', { fields: { id: { type: 'uuid' } } }),
      /table "todos", field "id": is a column every table already has/,
    ],
    [
      'a field that is also a role',
      () =>
        defineTable('todos', {
          fields: { made: { type: 'text' } },
          timestamps: { createdAt: 'made' },
        }),
      /table "todos", field "made": is declared twice/,
    ],
    [
      'its own version field',
      () => defineTable('todos', { fields: { version: { type: 'integer' } } }),
      /table "todos", field "version": is declared twice/,
    ],
    [
      'a text merge on a non-text field',
      () => defineTable('todos', { fields: { n: { type: 'integer', merge: 'text' } } }),
      /table "todos", field "n": merge "text" needs a text field, not integer/,
    ],
    [
      'a size limit on a non-text field',
      () => defineTable('todos', { fields: { n: { type: 'integer', maxChars: 3 } } }),
      /table "todos", field "n": maxChars applies to text fields only/,
    ],
    [
      'an unknown type',
      () => defineTable('todos', { fields: { n: { type: 'float' } as unknown as FieldSpec } }),
      /table "todos", field "n": has unknown type "float"/,
    ],
    [
      'a search field that is not text',
      () =>
        defineTable('todos', {
          fields: { n: { type: 'integer' } },
          search: ['n'],
        }),
      /table "todos", field "n": search fields must be text/,
    ],
    [
      'a bad since',
      () => defineTable('todos', { fields: { n: { type: 'integer', since: 0 } } }),
      /table "todos", field "n": since must be a schema version/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(make).toThrow(TableDeclError);
      expect(make).toThrow(message);
    });
  }
});

describe('checkTables', () => {
  const check = { schemaVersion: 1, reserved: ['sync_queue'] };

  it('accepts an app with only a todos table', () => {
    expect(() => checkTables([todos], check)).not.toThrow();
  });

  it('refuses a hand-written table without the version field, naming table and field', () => {
    const { version: _v, ...fields } = todos.fields;
    const noVersion: TableDecl = { ...todos, fields };
    expect(() => checkTables([noVersion], check)).toThrow(
      'table "todos", field "version": is missing',
    );
  });

  it('refuses a hand-written table without its soft-delete field', () => {
    const { deleted_at: _d, ...fields } = todos.fields;
    expect(() => checkTables([{ ...todos, fields }], check)).toThrow(
      'table "todos", field "deleted_at": is the soft-delete field but is not declared',
    );
  });

  it('refuses a timestamp role that names no field', () => {
    expect(() => checkTables([{ ...todos, timestamps: { updatedAt: 'changed' } }], check)).toThrow(
      'table "todos", field "changed": is the updatedAt timestamp but is not declared',
    );
  });

  it('refuses a name twice, a reserved name, and a version beyond the app schema', () => {
    expect(() => checkTables([todos, todos], check)).toThrow('table "todos": is declared twice');
    const queue = defineTable('sync_queue', { fields: {} });
    expect(() => checkTables([queue], check)).toThrow(
      'table "sync_queue": is a name the sync engine uses',
    );
    expect(() =>
      checkTables([todos, defineTable('text_conflicts', { fields: {} })], check),
    ).toThrow('table "text_conflicts": is a name the sync engine uses');
    const later = defineTable('later', {
      fields: { n: { type: 'integer', since: 3, nullable: true } },
    });
    expect(() => checkTables([later], { ...check, schemaVersion: 2 })).toThrow(
      'table "later", field "n": is from schema version 3, beyond the app\'s schemaVersion 2',
    );
    expect(() => checkTables([], check)).toThrow('no tables declared');
    expect(() => checkTables([todos], { ...check, schemaVersion: 0 })).toThrow('schemaVersion');
  });
});
