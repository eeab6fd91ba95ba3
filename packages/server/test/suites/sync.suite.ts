import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION, type SyncResponse } from '@ferry/protocol';
import type { Backend } from '../backends.ts';
import {
  Device,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../helpers.ts';
import { anyString } from '../helpers.ts';

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Push/pull semantics: mass assignment, idempotency, paging, versions. */
export function syncSuite(backend: Backend): void {
  describe(`sync [${backend.name}]`, () => {
    let s: TestServer;
    let u: TestUser;
    beforeAll(async () => {
      s = await startTestServer({}, backend.makeDb);
      u = await signup(s.url);
    });
    afterAll(async () => {
      await s.close();
    });

    it('rejects server-owned, local-only and unknown fields per mutation; the rest of the batch applies', async () => {
      const d = new Device(s.url, u.token);
      const id = newId();
      const attacks: [Record<string, unknown>, string][] = [
        [{ version: 999 }, 'server_field'],
        [{ synced: 1 }, 'unknown_field'],
        [{ user_id: u.userId }, 'unknown_field'],
        [{ owner: u.userId }, 'unknown_field'],
        [{ position: 1 }, 'unknown_field'],
        [{ hlcs: {} }, 'unknown_field'],
        [{ id: newId() }, 'unknown_field'],
        [{ surprise: 'x' }, 'unknown_field'],
        [{ title: 42 }, 'invalid_value'],
        [{ updated_at: 'yesterday' }, 'invalid_value'],
        [{ title: 'x'.repeat(1001) }, 'too_large'],
        [{ title: 'nul \u0000 inside' }, 'invalid_value'],
      ];
      const muts = [d.mutation('notes', id, 'upsert', newNote('good', 'body'))];
      for (const [fields, _code] of attacks)
        muts.push(
          d.mutation('notes', id, 'upsert', {
            ...fields,
            title: typeof fields.title === 'undefined' ? 'evil' : fields.title,
          }),
        );
      muts.push(d.mutation('notes', id, 'upsert', { content: 'still applied' }));
      const r = await d.sync(muts);
      expect(r.status).toBe(200);
      expect(r.body.results[0]).toEqual({ seq: 1, status: 'applied', version: 1 });
      attacks.forEach(([, code], i) => {
        expect(r.body.results[i + 1]).toEqual({
          seq: i + 2,
          status: 'rejected',
          code,
          message: anyString,
        });
      });
      expect(r.body.results.at(-1)).toEqual({ seq: muts.length, status: 'applied', version: 2 });
      expect(r.body.lastMutationSeq).toBe(muts.length);
      expect(r.body.changes).toHaveLength(1);
      expect(r.body.changes[0]!.row).toEqual({
        id,
        title: 'good',
        content: 'still applied',
        notebook_id: null,
        created_at: anyString,
        updated_at: anyString,
        deleted_at: null,
        version: 2,
      });
      const stored = await withPg(s.dbUrl, (c) =>
        c.query('SELECT user_id::text, version, title FROM notes WHERE id = $1', [id]),
      );
      expect(stored.rows).toEqual([{ user_id: u.userId, version: '2', title: 'good' }]);
    });

    it('rejects an unknown table and a new row without its required fields, without blocking the queue', async () => {
      const d = new Device(s.url, u.token);
      const r = await d.sync([
        d.mutation('secrets', newId(), 'upsert', { title: 'x' }),
        d.mutation('notes', newId(), 'upsert', { title: 'no content' }),
        d.mutation('notes', newId(), 'upsert', newNote()),
      ]);
      expect(r.body.results.map((x) => [x.status, 'code' in x ? x.code : undefined])).toEqual([
        ['rejected', 'unknown_table'],
        ['rejected', 'missing_field'],
        ['applied', undefined],
      ]);
      expect(r.body.lastMutationSeq).toBe(3);
    });

    it('applies a request sent twice (response lost) once', async () => {
      const d = new Device(s.url, u.token);
      const id = newId();
      const muts = [
        d.mutation('notes', id, 'upsert', newNote('once', 'x')),
        d.mutation('notes', id, 'upsert', { title: 'twice?' }),
      ];
      const before = await withPg(s.dbUrl, (c) =>
        c.query<{ position: string }>('SELECT position FROM users WHERE id = $1', [u.userId]),
      );
      const cursor = d.cursor;
      const first = await d.sync(muts);
      expect(first.body.results.map((x) => x.status)).toEqual(['applied', 'applied']);
      d.cursor = cursor;
      const again = await d.sync(muts);
      expect(again.status).toBe(200);
      expect(again.body.results).toEqual([
        { seq: muts[0]!.seq, status: 'duplicate' },
        { seq: muts[1]!.seq, status: 'duplicate' },
      ]);
      expect(again.body.lastMutationSeq).toBe(muts[1]!.seq);
      const after = await withPg(s.dbUrl, (c) =>
        c.query<{ position: string }>('SELECT position FROM users WHERE id = $1', [u.userId]),
      );
      expect(BigInt(after.rows[0]!.position) - BigInt(before.rows[0]!.position)).toBe(1n);
      const row = await withPg(s.dbUrl, (c) =>
        c.query('SELECT version, title FROM notes WHERE id = $1', [id]),
      );
      expect(row.rows).toEqual([{ version: '2', title: 'twice?' }]);
      // A partly new retry: the seen part is duplicate, the new part applies.
      const more = [...muts, d.mutation('notes', id, 'upsert', { content: 'new' })];
      d.cursor = cursor;
      const third = await d.sync(more);
      expect(third.body.results.map((x) => x.status)).toEqual([
        'duplicate',
        'duplicate',
        'applied',
      ]);
    });

    it('requires seqs in increasing order (400 naming the field)', async () => {
      const d = new Device(s.url, u.token);
      const a = d.mutation('notes', newId(), 'upsert', newNote());
      const b = d.mutation('notes', newId(), 'upsert', newNote());
      const r = await d.sync([b, a]);
      expect(r.status).toBe(400);
      expect((r.body as unknown as { error: { message: string } }).error.message).toContain(
        'mutations/1/seq',
      );
    });

    it('serves changes in pages, each row once in its latest state', async () => {
      const v = await signup(s.url);
      const d = new Device(s.url, v.token);
      const ids = Array.from({ length: 25 }, () => newId());
      await d.sync(ids.map((id) => d.mutation('notes', id, 'upsert', newNote(id, 'v1'))));
      await d.sync([d.mutation('notes', ids[0]!, 'upsert', { content: 'v2' })]);
      const reader = new Device(s.url, v.token);
      const seen: string[] = [];
      let pages = 0;
      for (;;) {
        const r = await reader.sync([], { pullLimit: 10 });
        expect(r.status).toBe(200);
        pages++;
        seen.push(...r.body.changes.map((c) => c.row.id));
        for (let i = 1; i < r.body.changes.length; i++)
          expect(BigInt(r.body.changes[i]!.seq)).toBeGreaterThan(
            BigInt(r.body.changes[i - 1]!.seq),
          );
        if (!r.body.hasMore) break;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids.slice(1), ids[0]]);
      const empty = await reader.sync();
      expect(empty.body.changes).toEqual([]);
      expect(empty.body.cursor).toBe(reader.cursor);
    });

    it('answers 426 for an unserved protocol or schema version, 400 for wrong types', async () => {
      const base = {
        protocol: PROTOCOL_VERSION,
        clientId: new Device(s.url, u.token).clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor: '0',
        mutations: [],
      };
      for (const body of [
        { ...base, protocol: PROTOCOL_VERSION + 1 },
        { ...base, protocol: 0 },
        { ...base, schemaVersion: FERRY_SCHEMA_VERSION + 1 },
      ]) {
        const r = await call(s.url, 'POST', '/v1/sync', { token: u.token, body });
        expect(r.status).toBe(426);
        expect(r.body).toEqual({ error: { code: 'upgrade_required', message: anyString } });
      }
      // No type coercion: "1" is not 1.
      const r = await call<{ error: { message: string } }>(s.url, 'POST', '/v1/sync', {
        token: u.token,
        body: { ...base, protocol: '1' },
      });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('protocol');
      const huge = await call<{ error: { message: string } }>(s.url, 'POST', '/v1/sync', {
        token: u.token,
        body: { ...base, cursor: '9999999999999999999' },
      });
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toContain('cursor');
      const c = await call<{ error: { message: string } }>(s.url, 'POST', '/v1/sync', {
        token: u.token,
        body: { ...base, cursor: 5 },
      });
      expect(c.status).toBe(400);
      expect(c.body.error.message).toContain('cursor');
    });

    it('returns a serverHlc and the lastMutationSeq on a pull-only request', async () => {
      const d = new Device(s.url, u.token);
      await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
      const r = await call<SyncResponse>(s.url, 'POST', '/v1/sync', {
        token: u.token,
        body: {
          protocol: 1,
          clientId: d.clientId,
          schemaVersion: 1,
          cursor: d.cursor,
          mutations: [],
        },
      });
      expect(r.body).toMatchObject({
        protocol: 1,
        results: [],
        lastMutationSeq: 1,
        changes: [],
        cursor: d.cursor,
        hasMore: false,
      });
      expect(r.body.serverHlc).toMatch(/^\d{15}-\d{5}-[0-9a-f]{16}$/);
    });
  });
}
