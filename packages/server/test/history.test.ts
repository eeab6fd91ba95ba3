import type { Revision, RevisionList } from '@ferry/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Device,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';

// GET /v1/tables/:table/:id/revisions[/:version]: a note's history, its owner's only.
let s: TestServer;
let u: TestUser;
let other: TestUser;
let id = '';
let a: Device;
beforeAll(async () => {
  s = await startTestServer();
  u = await signup(s.url);
  other = await signup(s.url);
  a = new Device(s.url, u.token);
  id = newId();
  await a.sync([a.mutation('notes', id, 'upsert', newNote('Trip', 'v1\n'))]);
  for (let v = 2; v <= 5; v++)
    await a.sync([a.mutation('notes', id, 'upsert', { content: `v${v}\n` }, v - 1)]);
});
afterAll(async () => {
  await s?.close();
});

describe('history', () => {
  it('lists the revisions newest first, in pages, with who made them', async () => {
    const r = await call<RevisionList>(s.url, 'GET', `/v1/tables/notes/${id}/revisions?limit=3`, {
      token: u.token,
    });
    expect(r.status).toBe(200);
    expect(r.body.hasMore).toBe(true);
    expect(r.body.revisions.map((x) => x.version)).toEqual([5, 4, 3]);
    expect(r.body.revisions[0]).toMatchObject({ clientId: a.clientId, merged: false });
    expect(r.body.revisions[0]!.bytes).toBeGreaterThan(0);
    const rest = await call<RevisionList>(
      s.url,
      'GET',
      `/v1/tables/notes/${id}/revisions?before=3&limit=3`,
      { token: u.token },
    );
    expect(rest.body).toMatchObject({ hasMore: false });
    expect(rest.body.revisions.map((x) => x.version)).toEqual([2, 1]);
  });

  it('orders versions as numbers: 10 and more come before 9', async () => {
    const long = newId();
    await a.sync([a.mutation('notes', long, 'upsert', newNote('Long', 'v1\n'))]);
    for (let v = 2; v <= 12; v++)
      await a.sync([a.mutation('notes', long, 'upsert', { content: `v${v}\n` }, v - 1)]);
    const path = `/v1/tables/notes/${long}/revisions`;
    const first = await call<RevisionList>(s.url, 'GET', `${path}?limit=5`, { token: u.token });
    expect(first.body.revisions.map((x) => x.version)).toEqual([12, 11, 10, 9, 8]);
    const rest = await call<RevisionList>(s.url, 'GET', `${path}?before=8`, { token: u.token });
    expect(rest.body.revisions.map((x) => x.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('returns one revision with the fields as they were', async () => {
    const r = await call<Revision>(s.url, 'GET', `/v1/tables/notes/${id}/revisions/2`, {
      token: u.token,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 2, fields: { title: 'Trip', content: 'v2\n' } });
  });

  it("is 404 for another user's note, an unknown one, a table without history, a bad version", async () => {
    const paths: [string, string][] = [
      [other.token, `/v1/tables/notes/${id}/revisions`],
      [other.token, `/v1/tables/notes/${id}/revisions/2`],
      [u.token, `/v1/tables/notes/${newId()}/revisions`],
      [u.token, `/v1/tables/notes/${id}/revisions/99`],
      [u.token, `/v1/tables/text_conflicts/${id}/revisions`],
      [u.token, `/v1/tables/nope/${id}/revisions`],
    ];
    for (const [token, path] of paths) {
      const r = await call<{ error: { code: string } }>(s.url, 'GET', path, { token });
      expect([path, r.status, r.body.error.code]).toEqual([path, 404, 'not_found']);
    }
    for (const path of [`/v1/tables/notes/${id}/revisions/0`, `/v1/tables/notes/x/revisions`]) {
      const r = await call(s.url, 'GET', path, { token: u.token });
      expect(r.status).toBe(400);
    }
    const anon = await call(s.url, 'GET', `/v1/tables/notes/${id}/revisions`);
    expect(anon.status).toBe(401);
  });
});
