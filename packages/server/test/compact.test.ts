import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCompact,
  type CompactSyncResponse,
  type Mutation,
  type SyncResponse,
} from '@ferry/protocol';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

const V1_KEYS = [
  'changes',
  'cursor',
  'hasMore',
  'lastMutationSeq',
  'position',
  'protocol',
  'results',
  'serverHlc',
];
const NOTE_KEYS = [
  'content',
  'created_at',
  'deleted_at',
  'id',
  'notebook_id',
  'title',
  'updated_at',
  'version',
];

/** Rows by id, without the per-change position (compact pages do not carry one). */
const rowsById = (r: SyncResponse): Record<string, unknown> =>
  Object.fromEntries(r.changes.map((c) => [c.row.id, { table: c.table, row: c.row }]));

/** The same sync as `d.sync`, in the compact form, with the request's mutations for decoding. */
async function compactSync(
  d: Device,
  mutations: Mutation[] = [],
): Promise<{ raw: CompactSyncResponse; decoded: SyncResponse; bytes: number }> {
  const r = await d.sync(mutations, { compact: 1 });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const raw = r.body as unknown as CompactSyncResponse;
  return {
    raw,
    decoded: decodeCompact(raw, mutations),
    bytes: JSON.stringify(raw).length,
  };
}

describe('compact pages and v1 shapes', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('a v1 client gets exactly the v1 keys, pushing up to date, pushing behind, pulling', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const check = (r: SyncResponse): void => {
      expect(Object.keys(r).sort()).toEqual(V1_KEYS);
      for (const c of r.changes) {
        expect(Object.keys(c).sort()).toEqual(['row', 'seq', 'table']);
        expect(Object.keys(c.row).sort()).toEqual(NOTE_KEYS);
      }
      for (const res of r.results) {
        expect(Object.keys(res).sort()).toEqual(['seq', 'status', 'version']);
      }
    };
    const up = await a.sync([a.mutation('notes', newId(), 'upsert', newNote('a', 'one'))]);
    check(up.body);
    expect(up.body.changes).toHaveLength(1);
    expect((await b.sync([b.mutation('notes', newId(), 'upsert', newNote('b'))])).body.changes);
    const behind = await a.sync([a.mutation('notes', newId(), 'upsert', newNote('a2'))]);
    check(behind.body);
    expect(behind.body.changes).toHaveLength(2);
    const pulled = await new Device(s.url, u.token).sync();
    check(pulled.body);
    expect(pulled.body.changes).toHaveLength(3);
  });

  it('round-trips every field: empty, null, non-ASCII, control characters, 1 MiB', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const big = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8
    const notes = [
      newNote('', ''),
      newNote('日本語 😀', 'line\nbreak\ttab\u0001\u001f"quote"\\'),
      { ...newNote('deleted', 'x'), deleted_at: new Date().toISOString() },
      newNote('big', big),
    ];
    for (const n of notes) await a.sync([a.mutation('notes', newId(), 'upsert', n)]);
    const v1 = await new Device(s.url, u.token).sync();
    const c = await compactSync(new Device(s.url, u.token));
    expect(v1.body.changes).toHaveLength(4);
    expect(rowsById(c.decoded)).toEqual(rowsById(v1.body));
    expect(c.decoded.cursor).toBe(v1.body.cursor);
    expect(Object.keys(c.raw).sort()).toEqual(
      [...V1_KEYS.filter((k) => k !== 'changes'), 'compact', 'tables'].sort(),
    );
    expect(c.raw.tables?.[0]?.fields).toEqual([
      'title',
      'content',
      'notebook_id',
      'created_at',
      'updated_at',
      'deleted_at',
    ]);
  });

  it("acknowledges the request's own rows instead of sending them back, up to date or behind", async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const ids = [newId(), newId()];
    const sent = ids.map((id, i) =>
      a.mutation('notes', id, 'upsert', newNote(`t${i}`, 'words '.repeat(40))),
    );
    const up = await compactSync(a, sent);
    // Title, content, created_at and updated_at were sent (bits 0, 1, 3, 4); notebook_id and
    // deleted_at were not.
    expect(up.raw.tables).toEqual([
      {
        table: 'notes',
        fields: ['title', 'content', 'notebook_id', 'created_at', 'updated_at', 'deleted_at'],
        acks: [
          [ids[0], 1, 27, null, null],
          [ids[1], 1, 27, null, null],
        ],
      },
    ]);
    const v1 = await new Device(s.url, u.token).sync();
    expect(rowsById(up.decoded)).toEqual(rowsById(v1.body));

    // Behind: b writes, then a edits one note's content while its cursor is old.
    await b.sync([b.mutation('notes', newId(), 'upsert', newNote('from b'))]);
    await b.sync([b.mutation('notes', ids[0]!, 'upsert', { title: 'b renamed it' }, 1)]);
    const edit = a.mutation('notes', ids[0]!, 'upsert', { content: 'edited by a' }, 1);
    const behind = await compactSync(a, [edit]);
    const group = behind.raw.tables![0]!;
    expect(group.rows).toHaveLength(1); // b's note, whole
    // a's edit: only content (bit 1) acknowledged; b's title comes as a value.
    expect(group.acks).toEqual([
      [
        ids[0],
        3,
        2,
        'b renamed it',
        null, // notebook_id
        sent[0]!.fields.created_at,
        sent[0]!.fields.updated_at,
        null,
      ],
    ]);
    const all = await new Device(s.url, u.token).sync();
    const mine = rowsById(behind.decoded);
    for (const [id, v] of Object.entries(mine)) expect(v).toEqual(rowsById(all.body)[id]);
    expect(behind.bytes).toBeLessThan(JSON.stringify(all.body).length);
  });

  it('sends a merged text whole: the row differs from what was sent', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = newId();
    await a.sync([a.mutation('notes', id, 'upsert', newNote('t', 'one\ntwo\nthree\n'))]);
    await b.sync();
    await b.sync([b.mutation('notes', id, 'upsert', { content: 'ONE\ntwo\nthree\n' }, 1)]);
    const edit = a.mutation('notes', id, 'upsert', { content: 'one\ntwo\nTHREE\n' }, 1);
    const r = await compactSync(a, [edit]);
    expect(r.raw.results[0]).toMatchObject({ status: 'applied', merged: true });
    expect(r.raw.tables?.[0]?.acks).toBeUndefined();
    expect(r.decoded.changes[0]?.row.content).toBe('ONE\ntwo\nTHREE\n');
  });

  it('refuses to decode an acknowledgement of a field the request did not send', () => {
    const bad: CompactSyncResponse = {
      protocol: 1,
      compact: 1,
      results: [],
      lastMutationSeq: 0,
      cursor: '1',
      hasMore: false,
      serverHlc: '001764000000000-00000-0000000000000000',
      tables: [{ table: 'notes', fields: ['title'], acks: [[newId(), 1, 1]] }],
    };
    expect(() => decodeCompact(bad, [])).toThrow(/acknowledged but was not sent/);
  });
});
