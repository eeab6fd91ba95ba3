import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { type Note } from '@ferry/protocol';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const strip = (n: Note): Omit<Note, 'synced'> => {
  const { synced: _, ...rest } = n;
  return rest;
};

describe('sync against the real server', () => {
  it('creates, edits, deletes and restores propagate between two devices', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'Groceries', content: 'milk' });
    const out = await a.sync();
    expect(out).toMatchObject({ pushed: 1, complete: true });
    expect(await a.outbox()).toEqual([]);
    const synced = await a.tables.notes.get(n.id);
    expect(synced).toMatchObject({ synced: 1, version: 1 });
    expect(a.status()).toMatchObject({ state: 'idle', pending: 0 });
    expect(a.status().lastSyncAt).not.toBeNull();

    await b.sync();
    expect(strip((await b.tables.notes.get(n.id))!)).toEqual(strip(synced!));

    await b.tables.notes.update(n.id, { content: 'oat milk' });
    await b.tables.notes.remove(n.id);
    await b.sync();
    await a.sync();
    expect((await a.tables.notes.get(n.id))!).toMatchObject({ content: 'oat milk', synced: 1 });
    expect((await a.tables.notes.get(n.id))!.deleted_at).not.toBeNull();
    expect(await a.tables.notes.list()).toEqual([]);

    await a.tables.notes.restore(n.id);
    await a.sync();
    await b.sync();
    expect((await b.tables.notes.get(n.id))!.deleted_at).toBeNull();
    expect(strip((await b.tables.notes.get(n.id))!)).toEqual(
      strip((await a.tables.notes.get(n.id))!),
    );
    await a.close();
    await b.close();
  });

  it('concurrent edits of different fields both survive', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'T', content: 'C' });
    await a.sync();
    await b.sync();
    await a.tables.notes.update(n.id, { title: 'T by a' });
    await b.tables.notes.update(n.id, { content: 'C by b' });
    await a.sync();
    await b.sync();
    await a.sync();
    for (const d of [a, b])
      expect(await d.tables.notes.get(n.id)).toMatchObject({
        title: 'T by a',
        content: 'C by b',
        synced: 1,
      });
    await a.close();
    await b.close();
  });

  it('pushes more than one batch and pulls more than one page', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const { fetchHttp } = await import('../src/index.ts');
    const pages: number[] = [];
    const b = await device(server, user, {
      http: Object.assign(
        async (req: Parameters<typeof fetchHttp>[0]) => {
          const res = await fetchHttp(req);
          const body = JSON.parse(res.body) as { tables?: { rows?: unknown[] }[] };
          if (req.url.endsWith('/v1/sync')) pages.push(body.tables?.[0]?.rows?.length ?? 0);
          return res;
        },
        { codings: fetchHttp.codings },
      ),
    });
    for (let i = 0; i < 1203; i++) await a.tables.notes.create({ title: `n${i}` });
    const out = await a.sync();
    expect(out).toMatchObject({ pushed: 1203, complete: true });
    const pulled = await b.sync();
    expect(pulled).toMatchObject({ pulled: 1203, complete: true });
    // One page: the engine asks for 5 000 rows a page (`pageLimit`), past v1's 1 000.
    expect(pages).toEqual([1203]);
    expect((await b.tables.notes.list()).length).toBe(1203);
    await a.close();
    await b.close();
  });

  it('pulls in many small pages (prefetching the next while applying) and keeps edits made meanwhile', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    for (let i = 0; i < 20; i++) await a.tables.notes.create({ title: `p${i}` });
    await a.sync();
    const { hookedHttp } = await import('./helpers.ts');
    const { fetchHttp } = await import('../src/index.ts');
    const hook = hookedHttp(fetchHttp);
    const b = await device(server, user, { pullLimit: 3, http: hook.http });
    const requests: number[] = [];
    b.subscribe((e) => {
      if (e.type === 'changed' && e.origin === 'remote') requests.push(e.ids.length);
    });
    let local = '';
    hook.once(async () => {
      local = (await b.tables.notes.create({ title: 'written on b during the pull' })).id;
    });
    const out = await b.sync();
    // The note written during the pull went out between pages, and came back in a later page.
    expect(out).toMatchObject({ pushed: 1, pulled: 21, complete: true });
    expect(requests).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect((await b.tables.notes.list()).length).toBe(21);
    expect(await b.tables.notes.get(local)).toMatchObject({ synced: 1 });
    await a.sync();
    expect((await a.tables.notes.list()).length).toBe(21);
    await a.close();
    await b.close();
  });

  it('a 401 reports signed-out and keeps the queue; logout keeps local notes', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    await a.tables.notes.create({ title: 'kept' });
    const b = await device(server, user);
    // Revoke a's token from elsewhere: log out a's token through a copy of the engine's transport.
    const { token } = (await a.connection())!;
    const r = await fetch(`${server.url}/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(204);
    await expect(a.sync()).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(a.status()).toMatchObject({ state: 'signed-out', pending: 1 });
    expect((await a.outbox()).length).toBe(1);
    await a.logout();
    expect((await a.tables.notes.list()).map((x) => x.title)).toEqual(['kept']);
    expect(await a.whoami()).toMatchObject({ signedIn: false, email: user });
    // Signing in again as the same user resumes with the queue intact.
    await a.login(server.url, user, 'correct horse battery');
    await a.sync();
    await b.sync();
    expect((await b.tables.notes.list()).map((x) => x.title)).toEqual(['kept']);
    await a.close();
    await b.close();
  });

  it('refuses another account on a bound database and plain http to non-loopback hosts', async () => {
    const a = await device(server, email(), { signup: true });
    const other = email();
    await expect(a.signup(server.url, other, 'correct horse battery')).rejects.toMatchObject({
      kind: 'wrong_account',
    });
    await expect(a.login('http://example.com', other, 'x')).rejects.toMatchObject({
      kind: 'insecure_url',
    });
    await a.close();
  });

  it('reports wrong passwords and taken emails as such', async () => {
    const user = email();
    const a = await device(server, user, { signup: true });
    const { openTestFerry } = await import('./helpers.ts');
    const c = await openTestFerry();
    await expect(c.login(server.url, user, 'wrong password')).rejects.toMatchObject({
      kind: 'invalid_credentials',
    });
    await expect(c.signup(server.url, user, 'whatever123')).rejects.toMatchObject({
      kind: 'email_taken',
    });
    expect(await a.whoami({ remote: true })).toMatchObject({ email: user });
    await a.close();
    await c.close();
  });
});
