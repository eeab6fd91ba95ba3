import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpFn } from '../src/api.ts';
import { fetchHttp } from '../src/index.ts';
import { hookedHttp, openTestFerry } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

// Typing bursts: an edit of a note whose previous edit is still queued and was never sent is
// folded into that entry (one outbox entry, one revision); an entry that may have reached the
// server (sent, even if its answer was lost) is never touched.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('coalescing queued edits', () => {
  it('folds a run of unsent edits of one note into one entry; the status counts entries', async () => {
    const f = await openTestFerry();
    const n = await f.tables.notes.create({ title: 'T', content: '' });
    for (const text of ['h', 'he', 'hel', 'hello'])
      await f.tables.notes.update(n.id, { content: text });
    const queued = await f.outbox();
    expect(queued.map((e) => e.fields.content)).toEqual(['', 'hello']);
    expect(f.status().pending).toBe(2);
    // A title-only edit writes fewer fields than the queued entry: not folded (its stamp would
    // move the content's on), and an edit after it is folded into nothing older than it.
    await f.tables.notes.update(n.id, { title: 'T2' });
    await f.tables.notes.update(n.id, { content: 'hello!' });
    expect((await f.outbox()).map((e) => Object.keys(e.fields).sort().join())).toEqual([
      'content,created_at,title,updated_at',
      'content,updated_at',
      'title,updated_at',
      'content,updated_at',
    ]);
    await f.close();
  });

  it('never folds into an entry that was sent, even when its answer was lost', async () => {
    const user = email();
    let dropNext = false;
    const lossy: HttpFn = async (req) => {
      const res = await fetchHttp(req);
      if (dropNext && req.url.endsWith('/v1/sync')) {
        dropNext = false;
        throw new Error('connection reset (answer lost)');
      }
      return res;
    };
    const hooked = hookedHttp(lossy);
    const a = await device(server, user, { signup: true, http: hooked.http });
    const b = await device(server, user);
    const n = await a.tables.notes.create({ title: 'T', content: 'one\n' });
    await a.sync();
    await a.tables.notes.update(n.id, { content: 'one\ntwo\n' });
    dropNext = true; // the server applies 'two', the device never hears of it
    await expect(a.sync()).rejects.toThrow();
    await a.tables.notes.update(n.id, { content: 'one\ntwo\nthree\n' });
    expect((await a.outbox()).map((e) => e.fields.content)).toEqual([
      'one\ntwo\n',
      'one\ntwo\nthree\n',
    ]);
    // And while a request carries an entry, an edit made meanwhile is a new entry too.
    hooked.once(async () => {
      await a.tables.notes.update(n.id, { content: 'one\ntwo\nthree\nfour\n' });
    });
    await a.sync();
    await a.sync();
    await b.sync();
    expect((await b.tables.notes.get(n.id))!.content).toBe('one\ntwo\nthree\nfour\n');
    expect((await a.tables.notes.get(n.id))!.content).toBe('one\ntwo\nthree\nfour\n');
    expect(await a.outbox()).toEqual([]);
    await a.close();
    await b.close();
  });
});
