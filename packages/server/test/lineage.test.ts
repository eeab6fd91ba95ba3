import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { formatHlc, hlcNode, parseHlc } from '@ferry/protocol';
import {
  Device,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';

/**
 * A copied or restored local database reuses its clientId and seqs: a retried request stays a
 * harmless duplicate, a different mutation under a used seq is detected (issue 7, item 3).
 */
describe('client lineage', () => {
  let s: TestServer;
  let u: TestUser;
  beforeAll(async () => {
    s = await startTestServer();
    u = await signup(s.url);
  });
  afterAll(async () => {
    await s.close();
  });

  const titleOf = async (d: Device, id: string): Promise<unknown> => {
    const probe = new Device(s.url, d.token);
    for (;;) {
      const r = await probe.sync();
      const row = r.body.changes.findLast((c) => c.row.id === id)?.row;
      if (row !== undefined) return row.title;
      if (!r.body.hasMore) return undefined;
    }
  };

  it('answers a retried request with duplicate', async () => {
    const a = new Device(s.url, u.token);
    const m = a.mutation('notes', newId(), 'upsert', newNote('one'));
    expect((await a.sync([m])).body.results[0]!.status).toBe('applied');
    const again = await a.sync([m]);
    expect(again.status).toBe(200);
    expect(again.body.results).toEqual([{ seq: m.seq, status: 'duplicate' }]);
    // Also after a later mutation joined the retried batch.
    const m2 = a.mutation('notes', newId(), 'upsert', newNote('two'));
    const r = await a.sync([m, m2], { clientReset: true });
    expect(r.body.results.map((x) => x.status)).toEqual(['duplicate', 'applied']);
  });

  it('rejects a different mutation under a used seq for a v1 client (never a silent duplicate)', async () => {
    const a = new Device(s.url, u.token);
    const id = newId();
    const m = a.mutation('notes', id, 'upsert', newNote('original'));
    await a.sync([m]);
    // The clone: same clientId, same seq, its own new note.
    const cloneId = newId();
    const clone = { ...m, id: cloneId, fields: newNote('clone') };
    const r = await a.sync([clone]);
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      expect.objectContaining({ seq: m.seq, status: 'rejected', code: 'seq_reused' }),
    ]);
    expect(await titleOf(a, id)).toBe('original');
  });

  it('answers 409 client_id_reused to a client that can reset, and applies nothing of the request', async () => {
    const a = new Device(s.url, u.token);
    const m = a.mutation('notes', newId(), 'upsert', newNote('original'));
    await a.sync([m]);
    const cloneNote = newId();
    const clone = { ...m, id: cloneNote, fields: newNote('clone') };
    const other = a.mutation('notes', newId(), 'upsert', newNote('fresh'));
    const r = await a.sync([clone, other], { clientReset: true });
    expect(r.status).toBe(409);
    expect((r.body as unknown as { error: { code: string } }).error.code).toBe('client_id_reused');
    expect(await titleOf(a, other.id)).toBeUndefined();
    expect(await titleOf(a, cloneNote)).toBeUndefined();
  });

  it('detects a restored older backup: seqs the client had moved past are reused', async () => {
    const a = new Device(s.url, u.token);
    const m1 = a.mutation('notes', newId(), 'upsert', newNote('1'));
    await a.sync([m1]);
    const m2 = a.mutation('notes', newId(), 'upsert', newNote('2'));
    await a.sync([m2]); // starts above m1: m1's acknowledgement reached the client
    // The backup still holds m1 queued, exactly as it was sent: identical, yet reused.
    const r = await a.sync([m1, m2], { clientReset: true });
    expect(r.status).toBe(409);
  });

  it('answers duplicate for a retried seq whose push was confirmed in part', async () => {
    const a = new Device(s.url, u.token);
    const [m1, m2] = [1, 2].map((i) => a.mutation('notes', newId(), 'upsert', newNote(`p${i}`)));
    await a.sync([m1!, m2!]);
    // Starts at m2: m1 is confirmed, m2 (same push, same digest row) is not.
    const m3 = a.mutation('notes', newId(), 'upsert', newNote('p3'));
    const r = await a.sync([m2!, m3]);
    expect(r.body.results.map((x) => x.status)).toEqual(['duplicate', 'applied']);
    const clone = { ...m2!, fields: newNote('clone') };
    const again = await a.sync([clone]);
    expect(again.body.results[0]).toEqual(
      expect.objectContaining({ status: 'rejected', code: 'seq_reused' }),
    );
  });

  it('keeps digests only for mutations the client has not confirmed', async () => {
    const a = new Device(s.url, u.token);
    const batch = Array.from({ length: 20 }, (_, i) =>
      a.mutation('notes', newId(), 'upsert', newNote(`n${i}`)),
    );
    await a.sync(batch);
    const count = async (): Promise<number> => {
      const c = new pg.Client({ connectionString: s.dbUrl });
      await c.connect();
      try {
        const r = await c.query<{ n: string }>(
          'SELECT coalesce(sum(cardinality(seqs)), 0)::text AS n FROM client_digest_runs WHERE client_id = $1',
          [a.clientId],
        );
        return Number(r.rows[0]!.n);
      } finally {
        await c.end();
      }
    };
    expect(await count()).toBe(20);
    await a.sync([a.mutation('notes', newId(), 'upsert', newNote('next'))]);
    expect(await count()).toBe(1);
  });
});

/** One user's fast clock never reaches another user's stamps (issue 7, item 7). */
describe('server clock per user', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it("does not fold a user's stamps from the future into other users' serverHlc", async () => {
    const fast = await signup(s.url);
    const other = await signup(s.url);
    const a = new Device(s.url, fast.token);
    const node = hlcNode(a.clientId);
    const ahead = Date.now() + 59_000;
    const muts = Array.from({ length: 500 }, (_, i) =>
      a.mutation(
        'notes',
        newId(),
        'upsert',
        newNote(`f${i}`),
        null,
        formatHlc({ wall: ahead, counter: i, node }),
      ),
    );
    const r = await a.sync(muts);
    expect(r.status).toBe(200);
    expect(r.body.results.every((x) => x.status === 'applied' && !('clockAdjusted' in x))).toBe(
      true,
    );
    const b = new Device(s.url, other.token);
    const before = Date.now();
    const rb = await b.sync([b.mutation('notes', newId(), 'upsert', newNote('b'))]);
    const served = parseHlc(rb.body.serverHlc).wall;
    // Honest: no later than this test's own clock after the response (plus slack for rounding).
    expect(served).toBeLessThanOrEqual(Date.now() + 5);
    expect(served).toBeGreaterThanOrEqual(before - 60_000);
  });

  it("sends the user's own devices the user's latest stamp, so their next write orders after it", async () => {
    const user = await signup(s.url);
    const fast = new Device(s.url, user.token);
    const ahead = Date.now() + 30_000;
    const stamp = formatHlc({ wall: ahead, counter: 7, node: hlcNode(fast.clientId) });
    const id = newId();
    await fast.sync([
      fast.mutation('notes', id, 'upsert', newNote('from the fast clock'), null, stamp),
    ]);
    // Another device of the same user, with a right clock, pulls that note: the serverHlc it
    // folds in is at least the fast stamp, so its own edit of the title wins (no silent loss).
    const right = new Device(s.url, user.token);
    const pulled = await right.sync();
    expect(pulled.body.serverHlc >= stamp).toBe(true);
    right.clock.receive(pulled.body.serverHlc as Parameters<typeof right.clock.receive>[0]);
    const r = await right.sync([right.mutation('notes', id, 'upsert', { title: 'edited later' })]);
    expect(r.body.results[0]!.status).toBe('applied');
  });
});
