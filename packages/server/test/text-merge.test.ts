import pg from 'pg';
import type { Change, Mutation, SyncResponse } from '@ferry/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Device,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';

// The server's three-way merge of `notes.content` (declared `merge: 'text'`), over HTTP.
const TRIP = 'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto\n';
const BELEM = 'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto\n';
const GUIMARAES = 'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n';
const BOTH = 'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n';

let s: TestServer;
let u: TestUser;
beforeAll(async () => {
  s = await startTestServer();
  u = await signup(s.url);
});
afterAll(async () => {
  await s?.close();
});

function rowOf(res: SyncResponse, table: string, id: string): Record<string, unknown> | undefined {
  return res.changes.filter((c: Change) => c.table === table && c.row.id === id).at(-1)?.row;
}

async function pullAll(d: Device): Promise<Change[]> {
  const out: Change[] = [];
  for (;;) {
    const r = await d.sync([]);
    out.push(...r.body.changes);
    if (!r.body.hasMore) return out;
  }
}

/** A note made by `d`, synced; returns its id. */
async function note(d: Device, content = TRIP): Promise<string> {
  const id = newId();
  const r = await d.sync([d.mutation('notes', id, 'upsert', newNote('Trip plan', content))]);
  expect(r.body.results[0]).toMatchObject({ status: 'applied', version: 1 });
  return id;
}

describe('text merge on push', () => {
  it('merges edits of different lines made on one version, in either order, and says merged', async () => {
    for (const order of [0, 1]) {
      const a = new Device(s.url, u.token);
      const b = new Device(s.url, u.token);
      const id = await note(a);
      const ma = a.mutation('notes', id, 'upsert', { content: BELEM }, 1);
      const mb = b.mutation('notes', id, 'upsert', { content: GUIMARAES }, 1);
      const [first, second] =
        order === 0
          ? ([
              [a, ma],
              [b, mb],
            ] as const)
          : ([
              [b, mb],
              [a, ma],
            ] as const);
      const r1 = await first[0].sync([first[1]]);
      expect(r1.body.results[0]).toEqual({ seq: first[1].seq, status: 'applied', version: 2 });
      const r2 = await second[0].sync([second[1]]);
      expect(r2.body.results[0]).toEqual({
        seq: second[1].seq,
        status: 'applied',
        version: 3,
        merged: true,
      });
      expect(rowOf(r2.body, 'notes', id)).toMatchObject({ content: BOTH, version: 3 });
      expect(
        (await pullAll(new Device(s.url, u.token))).filter(
          (c) => c.table === 'text_conflicts' && c.row.record_id === id,
        ),
      ).toEqual([]);
    }
  });

  it("builds a device's later queued edits on its earlier ones (baseSeq), acknowledged or not", async () => {
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(a, 'one\ntwo\nthree\nfour\n');
    // b edits line 4 and is merged first.
    await b.sync([b.mutation('notes', id, 'upsert', { content: 'one\ntwo\nthree\nFOUR\n' }, 1)]);
    // a queued three edits of line 1 on version 1; the second and third say they build on the one before.
    const e1 = a.mutation('notes', id, 'upsert', { content: 'one!\ntwo\nthree\nfour\n' }, 1);
    const e2 = {
      ...a.mutation('notes', id, 'upsert', { content: 'one!!\ntwo\nthree\nfour\n' }, 1),
      baseSeq: e1.seq,
    };
    const e3 = {
      ...a.mutation('notes', id, 'upsert', { content: 'one!!!\ntwo\nthree\nfour\n' }, 1),
      baseSeq: e2.seq,
    };
    // e1 in one request, e2 and e3 in the next (as after a lost response, e1 comes again: a duplicate).
    await a.sync([e1]);
    const r = await a.sync([e1, e2, e3]);
    expect(r.body.results.map((x) => x.status)).toEqual(['duplicate', 'applied', 'applied']);
    expect(rowOf(r.body, 'notes', id)).toMatchObject({ content: 'one!!!\ntwo\nthree\nFOUR\n' });
    const conflicts = (await pullAll(new Device(s.url, u.token))).filter(
      (c) => c.table === 'text_conflicts' && c.row.record_id === id,
    );
    expect(conflicts).toEqual([]);
  });

  it('the same edits without baseSeq would conflict with themselves (the control)', async () => {
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(a, 'one\ntwo\nthree\nfour\n');
    await b.sync([b.mutation('notes', id, 'upsert', { content: 'one\ntwo\nthree\nFOUR\n' }, 1)]);
    const e1 = a.mutation('notes', id, 'upsert', { content: 'one!\ntwo\nthree\nfour\n' }, 1);
    const e2 = a.mutation('notes', id, 'upsert', { content: 'one!!\ntwo\nthree\nfour\n' }, 1);
    const r = await a.sync([e1, e2]);
    const c = rowOf(
      r.body,
      'text_conflicts',
      r.body.changes.find((x) => x.table === 'text_conflicts')?.row.id ?? '',
    );
    // Without knowing e2 was made on e1, the server sees two edits of line 1 made on version 1.
    expect(c).toMatchObject({ record_id: id, field: 'content' });
  });

  it('keeps the later side of an overlap in the note and the other in a conflict every device pulls', async () => {
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(a);
    const ma = a.mutation(
      'notes',
      id,
      'upsert',
      { content: 'Day 1: Lisbon\nDay 2: Cascais\nDay 3: Porto\n' },
      1,
    );
    await new Promise((r) => setTimeout(r, 5)); // so b's stamp is the later one
    const mb = b.mutation(
      'notes',
      id,
      'upsert',
      { content: 'Day 1: Lisbon\nDay 2: Evora\nDay 3: Porto\n' },
      1,
    );
    // b's edit is the later one (its stamp is greater) but arrives first.
    await b.sync([mb]);
    const r = await a.sync([ma]);
    expect(r.body.results[0]).toMatchObject({ status: 'superseded' });
    const reader = new Device(s.url, u.token);
    const all = await pullAll(reader);
    expect(all.filter((c) => c.table === 'notes' && c.row.id === id).at(-1)?.row.content).toBe(
      'Day 1: Lisbon\nDay 2: Evora\nDay 3: Porto\n',
    );
    const conflicts = all
      .filter((c) => c.table === 'text_conflicts' && c.row.record_id === id)
      .map((c) => c.row);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      table_name: 'notes',
      field: 'content',
      text: 'Day 1: Lisbon\nDay 2: Evora\nDay 3: Porto\n',
      kept_client_id: b.clientId,
      other_client_id: a.clientId,
      resolved_at: null,
      version: 1,
    });
    expect(JSON.parse(conflicts[0]!.hunks as string)).toEqual([
      { at: 21, base: 'Sintra', kept: 'Evora', other: 'Cascais' },
    ]);
  });

  it('an edit whose base is unknown (a v1 client without baseVersion) overlaps everywhere: conflict, nothing lost', async () => {
    const a = new Device(s.url, u.token);
    const id = await note(a);
    const v1 = new Device(s.url, u.token);
    const r = await v1.sync([
      v1.mutation(
        'notes',
        id,
        'upsert',
        { content: 'Day 1: Lisbon\nDay 2: Nazare\nDay 3: Porto\n' },
        null,
      ),
    ]);
    expect(r.body.results[0]).toMatchObject({ status: 'applied', version: 2 });
    const c = r.body.changes.find(
      (x) => x.table === 'text_conflicts' && x.row.record_id === id,
    )?.row;
    expect(c).toMatchObject({
      text: 'Day 1: Lisbon\nDay 2: Nazare\nDay 3: Porto\n',
      kept_client_id: v1.clientId,
    });
    expect(JSON.parse(c!.hunks as string)).toEqual([
      { at: 14, base: '', kept: 'Day 2: Nazare\n', other: 'Day 2: Sintra\n' },
    ]);
  });

  it('a v1 client that edits its own new note before seeing a version merges against what it sent', async () => {
    const v1 = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(v1, 'one\ntwo\nthree\n');
    await b.sync([b.mutation('notes', id, 'upsert', { content: 'one\ntwo\nthree!\n' }, 1)]);
    // No baseVersion (it never saw one) and no baseSeq (v1): built on the text it created.
    const r = await v1.sync([
      v1.mutation('notes', id, 'upsert', { content: '!one\ntwo\nthree\n' }, null),
    ]);
    expect(r.body.results[0]).toMatchObject({ status: 'applied', merged: true });
    expect(rowOf(r.body, 'notes', id)).toMatchObject({ content: '!one\ntwo\nthree!\n' });
    expect(
      r.body.changes.filter((c) => c.table === 'text_conflicts' && c.row.record_id === id),
    ).toEqual([]);
  });

  it('a client cannot make a text_conflicts row, and its schema-1 pull never carries one', async () => {
    const a = new Device(s.url, u.token);
    const fake = newId();
    const r = await a.sync([a.mutation('text_conflicts', fake, 'upsert', { resolution: 'this' })]);
    expect(r.body.results[0]).toMatchObject({ status: 'rejected', code: 'not_found' });
    const old = new Device(s.url, u.token);
    const pulled: Change[] = [];
    for (;;) {
      const p = await old.sync([], { schemaVersion: 1 });
      expect(p.status).toBe(200);
      pulled.push(...p.body.changes);
      if (!p.body.hasMore) break;
    }
    expect(pulled.length).toBeGreaterThan(0);
    expect(pulled.filter((c) => c.table === 'text_conflicts')).toEqual([]);
  });

  it('resolving writes the conflict row like any row (resolved_at hides it)', async () => {
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(a, 'x\n');
    await b.sync([b.mutation('notes', id, 'upsert', { content: 'y\n' }, 1)]);
    const r = await a.sync([a.mutation('notes', id, 'upsert', { content: 'z\n' }, 1)]);
    const c = r.body.changes.find((x) => x.table === 'text_conflicts')!.row;
    const done: Mutation = a.mutation(
      'text_conflicts',
      c.id,
      'delete',
      { resolved_at: new Date().toISOString(), resolution: 'other' },
      1,
    );
    const rr = await a.sync([done]);
    expect(rr.body.results[0]).toMatchObject({ status: 'applied', version: 2 });
    expect(rowOf(rr.body, 'text_conflicts', c.id)).toMatchObject({
      resolution: 'other',
      text: 'z\n',
      version: 2,
    });
  });

  it('keeps a revision of every accepted change, with who made it', async () => {
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = await note(a);
    await a.sync([a.mutation('notes', id, 'upsert', { content: BELEM }, 1)]);
    await b.sync([b.mutation('notes', id, 'upsert', { content: GUIMARAES }, 1)]);
    const db = new pg.Client({ connectionString: s.dbUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{
        version: string;
        client_id: string;
        merged: boolean;
        content: string;
      }>(
        "SELECT version::text, client_id::text, merged, fields->>'content' AS content FROM revisions WHERE record_id = $1 ORDER BY version",
        [id],
      );
      expect(rows).toEqual([
        { version: '1', client_id: a.clientId, merged: false, content: TRIP },
        { version: '2', client_id: a.clientId, merged: false, content: BELEM },
        { version: '3', client_id: b.clientId, merged: true, content: BOTH },
      ]);
    } finally {
      await db.end();
    }
  });
});

describe('a table with two text fields', () => {
  const memos = {
    name: 'memos',
    policy: 'lww',
    searchFields: [],
    deletedField: 'deleted_at',
    fields: {
      head: { type: 'text', writtenBy: 'client', requiredOnCreate: true, merge: 'text' },
      body: { type: 'text', writtenBy: 'client', requiredOnCreate: true, merge: 'text' },
      deleted_at: { type: 'timestamp', writtenBy: 'client', nullable: true },
      version: { type: 'integer', writtenBy: 'server' },
    },
  } as const;
  let m: TestServer;
  afterAll(async () => {
    await m?.close();
  });

  it("an edit of one field chained (baseSeq) to an edit of the other merges against the version's text", async () => {
    m = await startTestServer({ tables: [memos] });
    const mu = await signup(m.url);
    const a = new Device(m.url, mu.token);
    const b = new Device(m.url, mu.token);
    const id = newId();
    await a.sync([a.mutation('memos', id, 'upsert', { head: 'h1\nh2\n', body: 'b1\nb2\n' })]);
    await b.sync([b.mutation('memos', id, 'upsert', { head: 'h1\nh2, by b\n' }, 1)]);
    const e1 = a.mutation('memos', id, 'upsert', { body: 'b1, by a\nb2\n' }, 1);
    const e2 = {
      ...a.mutation('memos', id, 'upsert', { head: 'h1, by a\nh2\n' }, 1),
      baseSeq: e1.seq,
    };
    const r = await a.sync([e1, e2]);
    expect(rowOf(r.body, 'memos', id)).toMatchObject({
      head: 'h1, by a\nh2, by b\n',
      body: 'b1, by a\nb2\n',
    });
    expect(r.body.changes.filter((c) => c.table === 'text_conflicts')).toEqual([]);
  });
});
