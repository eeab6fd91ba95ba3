import { describe, expect, it } from 'vitest';
import { notes, withPolicy } from '@ferry/protocol';
import { mergeMutation, type StoredRow } from '../src/index.ts';

const H1 = '001764000000001-00000-aaaaaaaaaaaaaaaa';
const H2 = '001764000000002-00000-aaaaaaaaaaaaaaaa';
const H3 = '001764000000003-00000-aaaaaaaaaaaaaaaa';
const NOW = '2026-11-24T12:00:00.000Z';
const id = '0193a1c3-0000-7000-8000-000000000001';
const created = { title: 't', content: 'c', created_at: NOW, updated_at: NOW };

function row(
  hlcs: Record<string, string>,
  fields: Record<string, unknown> = {},
  version = 1,
): StoredRow {
  return { id, fields: { ...created, deleted_at: null, ...fields }, hlcs, version };
}

describe('mergeMutation', () => {
  it('creates a row with every required field, nulls for the rest, version 1', () => {
    const out = mergeMutation(
      notes,
      null,
      { op: 'upsert', id, fields: created, hlc: H1, baseVersion: null },
      NOW,
    );
    expect(out).toEqual({
      kind: 'applied',
      row: {
        id,
        fields: { ...created, notebook_id: null, deleted_at: null },
        hlcs: { title: H1, content: H1, created_at: H1, updated_at: H1 },
        version: 1,
      },
      merged: false,
      overlaps: [],
    });
  });

  it('writes only the fields whose stored stamp is older', () => {
    const current = row({ title: H3, content: H1 });
    const out = mergeMutation(
      notes,
      current,
      { op: 'upsert', id, fields: { title: 'old', content: 'new' }, hlc: H2, baseVersion: 1 },
      NOW,
    );
    expect(out).toMatchObject({
      kind: 'applied',
      row: { fields: { title: 't', content: 'new' }, hlcs: { title: H3, content: H2 }, version: 2 },
    });
  });

  it('an equal stamp does not win (the write is already there)', () => {
    const out = mergeMutation(
      notes,
      row({ title: H2 }),
      { op: 'upsert', id, fields: { title: 'x' }, hlc: H2, baseVersion: 1 },
      NOW,
    );
    expect(out).toEqual({ kind: 'superseded', overlaps: [] });
  });

  it('a delete without deleted_at uses the server time; a delete of a missing row is rejected', () => {
    const out = mergeMutation(
      notes,
      row({}),
      { op: 'delete', id, fields: {}, hlc: H1, baseVersion: 1 },
      NOW,
    );
    expect(out).toMatchObject({ kind: 'applied', row: { fields: { deleted_at: NOW } } });
    expect(
      mergeMutation(notes, null, { op: 'delete', id, fields: {}, hlc: H1, baseVersion: null }, NOW),
    ).toMatchObject({ kind: 'rejected', code: 'not_found' });
  });

  it('an empty upsert changes nothing', () => {
    expect(
      mergeMutation(notes, row({}), { op: 'upsert', id, fields: {}, hlc: H3, baseVersion: 1 }, NOW),
    ).toEqual({ kind: 'superseded', overlaps: [] });
  });

  it('version policy: stale or missing baseVersion conflicts, a current one writes whatever the stamps', () => {
    const v = withPolicy(notes, 'version');
    const current = row({ title: H3 }, {}, 4);
    expect(
      mergeMutation(
        v,
        current,
        { op: 'upsert', id, fields: { title: 'x' }, hlc: H1, baseVersion: 3 },
        NOW,
      ),
    ).toEqual({ kind: 'conflict' });
    expect(
      mergeMutation(
        v,
        current,
        { op: 'upsert', id, fields: { title: 'x' }, hlc: H1, baseVersion: null },
        NOW,
      ),
    ).toEqual({ kind: 'conflict' });
    expect(
      mergeMutation(
        v,
        current,
        { op: 'upsert', id, fields: { title: 'x' }, hlc: H1, baseVersion: 4 },
        NOW,
      ),
    ).toMatchObject({
      kind: 'applied',
      row: { fields: { title: 'x' }, hlcs: { title: H3 }, version: 5 },
    });
    expect(
      mergeMutation(v, null, { op: 'upsert', id, fields: created, hlc: H1, baseVersion: 2 }, NOW),
    ).toEqual({ kind: 'conflict' });
  });

  it('rejects server-owned, unknown and invalid fields before anything else', () => {
    for (const [fields, code] of [
      [{ version: 9 }, 'server_field'],
      [{ synced: 1 }, 'unknown_field'],
      [{ __proto__: 1 }, 'unknown_field'],
      [{ deleted_at: 'soon' }, 'invalid_value'],
    ] as const) {
      const f = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
      if ('__proto__' in fields)
        Object.defineProperty(f, '__proto__', { value: 1, enumerable: true });
      expect(
        mergeMutation(
          notes,
          row({}),
          { op: 'upsert', id, fields: f, hlc: H3, baseVersion: 1 },
          NOW,
        ),
      ).toMatchObject({ kind: 'rejected', code });
    }
  });

  it('rejects text PostgreSQL cannot store (U+0000) per mutation', () => {
    const out = mergeMutation(
      notes,
      row({}),
      { op: 'upsert', id, fields: { title: 'a\u0000b' }, hlc: H3, baseVersion: 1 },
      NOW,
    );
    expect(out).toMatchObject({ kind: 'rejected', code: 'invalid_value' });
  });
});

describe('mergeMutation of a text field', () => {
  const base = 'one\ntwo\nthree\n';
  it('merges against the given base, whatever the stamps say', () => {
    const current = row({ content: H3 }, {}, 2);
    const withText = { ...current, fields: { ...current.fields, content: 'one\ntwo\nthree!\n' } };
    const out = mergeMutation(
      notes,
      withText,
      {
        op: 'upsert',
        id,
        fields: { content: 'one!\ntwo\nthree\n' },
        hlc: H2,
        baseVersion: 1,
        bases: { content: base },
      },
      NOW,
    );
    expect(out).toMatchObject({
      kind: 'applied',
      merged: true,
      overlaps: [],
      row: { fields: { content: 'one!\ntwo\nthree!\n' }, hlcs: { content: H3 } },
    });
  });

  it('with the current version as base it is a plain write (no merge), and an unknown base keeps the later side', () => {
    const current = { ...row({ content: H1 }), fields: { ...row({}).fields, content: base } };
    const ff = mergeMutation(
      notes,
      current,
      { op: 'upsert', id, fields: { content: 'x\n' }, hlc: H2, baseVersion: 1 },
      NOW,
    );
    expect(ff).toMatchObject({
      kind: 'applied',
      merged: false,
      overlaps: [],
      row: { fields: { content: 'x\n' } },
    });
    const lost = mergeMutation(
      notes,
      { ...current, hlcs: { content: H3 } },
      { op: 'upsert', id, fields: { content: 'x\n' }, hlc: H2, baseVersion: null },
      NOW,
    );
    expect(lost).toEqual({
      kind: 'superseded',
      overlaps: [
        {
          field: 'content',
          text: base,
          keptMine: false,
          hunks: [{ at: 0, base: '', kept: base, other: 'x\n' }],
        },
      ],
    });
  });

  it('merges no field by its name: a table whose `content` is declared lww is last-writer-wins', () => {
    const lww = {
      ...notes,
      fields: { ...notes.fields, content: { ...notes.fields.content!, merge: 'lww' as const } },
    };
    const current = { ...row({ content: H3 }), fields: { ...row({}).fields, content: base } };
    const out = mergeMutation(
      lww,
      current,
      {
        op: 'upsert',
        id,
        fields: { content: 'x\n' },
        hlc: H2,
        baseVersion: 1,
        bases: { content: base },
      },
      NOW,
    );
    expect(out).toEqual({ kind: 'superseded', overlaps: [] });
  });
});
