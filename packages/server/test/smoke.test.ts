import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, call, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

describe('smoke', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('signs up, pushes and pulls', async () => {
    const u = await signup(s.url);
    const me = await call<{ userId: string }>(s.url, 'GET', '/v1/me', { token: u.token });
    expect(me.status).toBe(200);
    expect(me.body.userId).toBe(u.userId);
    const d = new Device(s.url, u.token);
    const id = newId();
    const r = await d.sync([d.mutation('notes', id, 'upsert', newNote('a', 'b'))]);
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([{ seq: 1, status: 'applied', version: 1 }]);
    expect(r.body.changes).toHaveLength(1);
    expect(r.body.changes[0]!.row).toMatchObject({ id, title: 'a', content: 'b', version: 1, deleted_at: null });
    expect(r.body.cursor).toBe('1');
    const other = new Device(s.url, u.token);
    const p = await other.sync();
    expect(p.body.changes.map((c) => c.row.id)).toEqual([id]);
  });
});
