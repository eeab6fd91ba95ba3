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

const UNAUTHORIZED = { error: { code: 'unauthorized', message: anyString } };

/** Every authenticated endpoint × {owner, another user, no token, revoked token, garbage token}. */
export function authzSuite(backend: Backend): void {
  describe(`authorization matrix [${backend.name}]`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    let revoked: string;
    let ownerDevice: Device;
    const rowId = newId();
    beforeAll(async () => {
      s = await startTestServer({}, backend.makeDb);
      owner = await signup(s.url);
      other = await signup(s.url);
      const second = await call<{ token: string }>(s.url, 'POST', '/v1/auth/login', {
        body: { email: owner.email, password: 'correct horse battery' },
      });
      revoked = second.body.token;
      expect((await call(s.url, 'POST', '/v1/auth/logout', { token: revoked })).status).toBe(204);
      ownerDevice = new Device(s.url, owner.token);
      const r = await ownerDevice.sync([
        ownerDevice.mutation('notes', rowId, 'upsert', newNote('owner secret', 'owner content')),
      ]);
      expect(r.body.results[0]!.status).toBe('applied');
    });
    afterAll(async () => {
      await s.close();
    });

    const bad: [string, () => Record<string, string>][] = [
      ['no token', () => ({})],
      ['revoked token', () => ({ authorization: `Bearer ${revoked}` })],
      ['garbage token', () => ({ authorization: 'Bearer not-a-real-token' })],
      [
        'well-formed unknown token',
        () => ({ authorization: `Bearer ${Buffer.alloc(32, 7).toString('base64url')}` }),
      ],
      ['wrong scheme', () => ({ authorization: `Basic ${owner.token}` })],
    ];
    const syncBody = (clientId: string) => ({
      protocol: PROTOCOL_VERSION,
      clientId,
      schemaVersion: FERRY_SCHEMA_VERSION,
      cursor: '0',
      mutations: [],
    });
    const endpoints: [string, string, (() => unknown) | undefined][] = [
      ['GET', '/v1/me', undefined],
      ['POST', '/v1/sync', () => syncBody(ownerDevice.clientId)],
      ['POST', '/v1/auth/logout', undefined],
      ['POST', '/v1/auth/logout-all', undefined],
      ['GET', '/v1/events', undefined],
      ['GET', '/v1/tables/notes/01937000-0000-7000-8000-000000000000/revisions', undefined],
      ['GET', '/v1/tables/notes/01937000-0000-7000-8000-000000000000/revisions/1', undefined],
    ];
    for (const [method, path, body] of endpoints) {
      for (const [who, headers] of bad) {
        it(`${method} ${path} with ${who} → 401`, async () => {
          const r = await call(s.url, method, path, {
            headers: headers(),
            ...(body ? { body: body() } : {}),
          });
          expect(r.status).toBe(401);
          expect(r.body).toEqual(UNAUTHORIZED);
        });
      }
    }

    it('GET /v1/me: each user sees only themself', async () => {
      expect((await call(s.url, 'GET', '/v1/me', { token: owner.token })).body).toEqual({
        userId: owner.userId,
        email: owner.email,
      });
      expect((await call(s.url, 'GET', '/v1/me', { token: other.token })).body).toEqual({
        userId: other.userId,
        email: other.email,
      });
    });

    it("GET /v1/tables/notes/:id/revisions: another user's history of the owner's row is 404, as for no row", async () => {
      for (const path of [
        `/v1/tables/notes/${rowId}/revisions`,
        `/v1/tables/notes/${rowId}/revisions/1`,
      ]) {
        expect((await call(s.url, 'GET', path, { token: owner.token })).status).toBe(200);
        const r = await call(s.url, 'GET', path, { token: other.token });
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ error: { code: 'not_found', message: anyString } });
      }
    });

    it("POST /v1/sync: another user's pull never contains the owner's rows", async () => {
      const d = new Device(s.url, other.token);
      const r = await d.sync();
      expect(r.status).toBe(200);
      expect(r.body.changes).toEqual([]);
      const mine = await new Device(s.url, owner.token).sync();
      expect(mine.body.changes.map((c) => c.row.id)).toEqual([rowId]);
    });

    it("POST /v1/sync: another user's request with the owner's clientId → 403, nothing written", async () => {
      const r = await call(s.url, 'POST', '/v1/sync', {
        token: other.token,
        body: {
          ...syncBody(ownerDevice.clientId),
          mutations: [
            {
              seq: 99,
              table: 'notes',
              id: newId(),
              op: 'upsert',
              fields: newNote(),
              hlc: ownerDevice.clock.now(),
              baseVersion: null,
            },
          ],
        },
      });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', message: anyString } });
      expect((await new Device(s.url, other.token).sync()).body.changes).toEqual([]);
    });

    it("POST /v1/sync: a mutation carrying another user's row id never touches that row", async () => {
      const d = new Device(s.url, other.token);
      // A partial edit cannot reach the owner's row: for this user the row does not exist.
      const partial = await d.sync([d.mutation('notes', rowId, 'upsert', { title: 'hijacked' })]);
      expect(partial.body.results[0]).toMatchObject({ status: 'rejected', code: 'missing_field' });
      const del = await d.sync([d.mutation('notes', rowId, 'delete', {})]);
      expect(del.body.results[0]).toMatchObject({ status: 'rejected', code: 'not_found' });
      // A full upsert creates the other user's own row with that id; the owner's is untouched.
      const full = await d.sync([d.mutation('notes', rowId, 'upsert', newNote('hijacked', 'x'))]);
      expect(full.body.results[0]).toEqual({ seq: 3, status: 'applied', version: 1 });
      expect(full.body.changes.map((c) => c.row.title)).toEqual(['hijacked']);

      const ownerView = await new Device(s.url, owner.token).sync();
      expect(ownerView.body.changes).toHaveLength(1);
      expect(ownerView.body.changes[0]!.row).toMatchObject({
        id: rowId,
        title: 'owner secret',
        content: 'owner content',
        version: 1,
        deleted_at: null,
      });
      const client = new pg.Client({ connectionString: s.dbUrl });
      await client.connect();
      try {
        const rows = await client.query<{ user_id: string; title: string }>(
          'SELECT user_id::text, title FROM notes WHERE id = $1 ORDER BY title',
          [rowId],
        );
        expect(rows.rows).toEqual([
          { user_id: other.userId, title: 'hijacked' },
          { user_id: owner.userId, title: 'owner secret' },
        ]);
      } finally {
        await client.end();
      }
    });

    it('GET /v1/events: owner gets a stream', async () => {
      const ctl = new AbortController();
      const r = await fetch(`${s.url}/v1/events`, {
        headers: { authorization: `Bearer ${owner.token}` },
        signal: ctl.signal,
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/event-stream');
      ctl.abort();
    });

    it('POST /v1/auth/logout: revokes only the token used', async () => {
      const t = await call<{ token: string }>(s.url, 'POST', '/v1/auth/login', {
        body: { email: owner.email, password: 'correct horse battery' },
      });
      expect((await call(s.url, 'POST', '/v1/auth/logout', { token: t.body.token })).status).toBe(
        204,
      );
      expect((await call(s.url, 'POST', '/v1/auth/logout', { token: t.body.token })).status).toBe(
        401,
      );
      const r = await call<SyncResponse>(s.url, 'POST', '/v1/sync', {
        token: t.body.token,
        body: syncBody(ownerDevice.clientId),
      });
      expect(r.status).toBe(401);
      expect((await call(s.url, 'GET', '/v1/me', { token: owner.token })).status).toBe(200);
    });
  });
}
