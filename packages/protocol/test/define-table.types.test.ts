import { describe, expectTypeOf, it } from 'vitest';
import { defineTable, type Note, type RowOf } from '../src/index.ts';

// Type-level: compiled by `tsc` (npm run typecheck), where a wrong type or a `@ts-expect-error`
// that no longer errors fails the build; vitest runs the file too, which checks nothing at run time.
const todos = defineTable('todos', {
  fields: {
    title: { type: 'text' },
    done: { type: 'integer', default: 0 },
    due: { type: 'timestamp', nullable: true },
    owner: { type: 'uuid', writtenBy: 'server' },
  },
  timestamps: { updatedAt: 'touched' },
});
type Types = NonNullable<(typeof todos)['~types']>;

describe('row types inferred from a declaration', () => {
  it('types the row: declared fields, the timestamps by role, id, version, synced', () => {
    expectTypeOf<RowOf<typeof todos>>().toEqualTypeOf<{
      id: string;
      version: number;
      synced: number;
      title: string;
      done: number;
      due: string | null;
      owner: string;
      touched: string;
      deleted_at: string | null;
    }>();
    expectTypeOf(todos.name).toEqualTypeOf<'todos'>();
  });

  it('types a create: required fields required, nullable/defaulted/timestamps optional', () => {
    expectTypeOf<Types['create']>().toEqualTypeOf<{
      title: string;
      done?: number;
      due?: string | null;
      touched?: string;
    }>();
    const ok: Types['create'] = { title: 'a' };
    // @ts-expect-error title is required
    const missing: Types['create'] = { done: 1 };
    // @ts-expect-error done is a number
    const wrong: Types['create'] = { title: 'a', done: 'yes' };
    // @ts-expect-error the server writes owner
    const server: Types['create'] = { title: 'a', owner: 'x' };
    // @ts-expect-error the soft delete goes through remove/restore
    const deleted: Types['create'] = { title: 'a', deleted_at: null };
    void [ok, missing, wrong, server, deleted];
  });

  it("types Ferry's notes", () => {
    expectTypeOf<Note['content']>().toEqualTypeOf<string>();
    expectTypeOf<Note['deleted_at']>().toEqualTypeOf<string | null>();
  });
});
