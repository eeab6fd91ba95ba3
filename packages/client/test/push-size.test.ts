import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limits, type ferryTables } from '@ferry/protocol';
import { ErrorKind, FerryError, fetchHttp, type Ferry, type HttpFn } from '../src/index.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';

// Issue 7, item 1: the outbox must never wedge on size. Batches were cut by count only, so once the
// queued changes exceeded the server's body limit every sync failed for ever (EPIPE, then 413).

const MiB = 1024 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** An HttpFn over the real fetch that records the byte size and mutation count of every /v1/sync body. */
function measuredHttp(
  inner: HttpFn = fetchHttp,
): HttpFn & { sent: { bytes: number; mutations: number; status: number | 'network' }[] } {
  const sent: { bytes: number; mutations: number; status: number | 'network' }[] = [];
  const fn = (async (req) => {
    if (!req.url.endsWith('/v1/sync') || req.body === undefined) return inner(req);
    const rec = {
      bytes: Buffer.byteLength(req.body),
      mutations: (JSON.parse(req.body) as { mutations: unknown[] }).mutations.length,
      status: 'network' as number | 'network',
    };
    sent.push(rec);
    const res = await inner(req);
    rec.status = res.status;
    return res;
  }) as HttpFn & { sent: typeof sent };
  fn.sent = sent;
  return fn;
}

/** What the server stores for these note ids: count and total UTF-8 bytes of content. */
async function onServer(
  ids: readonly string[],
  on: TestServer = server,
): Promise<{ count: number; contentBytes: number }> {
  const c = new pg.Client({ connectionString: on.dbUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: string; b: string | null }>(
      'SELECT count(*) AS n, sum(octet_length(content)) AS b FROM notes WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return { count: Number(r.rows[0]!.n), contentBytes: Number(r.rows[0]!.b ?? 0) };
  } finally {
    await c.end();
  }
}

async function syncOrReport(
  f: Ferry<typeof ferryTables>,
): Promise<Awaited<ReturnType<Ferry<typeof ferryTables>['sync']>>> {
  try {
    return await f.sync();
  } catch (e) {
    const err = e as FerryError;
    throw new Error(
      `sync failed: ${err.kind ?? ''} ${err.message}; status ${JSON.stringify(f.status())}`,
    );
  }
}

describe('the outbox never wedges on size', () => {
  it('72 notes of 120 000 characters queued offline all reach the server (the issue repro)', async () => {
    const http = measuredHttp();
    const a = await device(server, email(), { signup: true, http });
    const ids: string[] = [];
    for (let i = 0; i < 72; i++)
      ids.push(
        (
          await a.tables.notes.create({
            title: `big ${i}`,
            content: `${i} `.padEnd(120_000, 'lorem ipsum '),
          })
        ).id,
      );
    expect(a.status().pending).toBe(72);
    const out = await syncOrReport(a);
    expect(out).toMatchObject({ pushed: 72, complete: true });
    expect(a.status().pending).toBe(0);
    expect(await onServer(ids)).toEqual({ count: 72, contentBytes: 72 * 120_000 });
    // Cut by bytes: more than one request, each one below the server's limit.
    const pushes = http.sent.filter((s) => s.mutations > 0);
    expect(pushes.length).toBeGreaterThan(1);
    for (const s of pushes) expect(s.bytes).toBeLessThan(Limits.defaultBodyBytes);
    await a.close();
  });

  it('200 notes at the field limits (1 MiB content, 1 000-character titles, worst-case JSON escaping) drain completely', async () => {
    const http = measuredHttp();
    const a = await device(server, email(), { signup: true, http });
    const ids: string[] = [];
    let expectedBytes = 0;
    for (let i = 0; i < 200; i++) {
      // Every 50th note is the worst case for JSON: each character of content and title escapes to
      // six bytes (\u0001), so this one mutation is over 6 MiB on the wire.
      const worst = i % 50 === 7;
      const content = worst
        ? '\u0001'.repeat(MiB)
        : `${i} `.padEnd(MiB, 'abcdefghijklmnopqrstuvwxyz');
      const title = worst ? '\u0002'.repeat(1000) : `n${i} `.padEnd(1000, 't');
      expectedBytes += MiB;
      ids.push((await a.tables.notes.create({ title, content })).id);
    }
    const out = await syncOrReport(a);
    expect(out).toMatchObject({ pushed: 200, complete: true });
    expect(a.status().pending).toBe(0);
    expect(await a.rejected()).toEqual([]);
    expect(await onServer(ids)).toEqual({ count: 200, contentBytes: expectedBytes });
    const pushes = http.sent.filter((s) => s.mutations > 0);
    for (const s of pushes) expect(s.bytes).toBeLessThan(Limits.defaultBodyBytes);
    // The worst-case notes went alone (they are larger than the batching budget by themselves).
    expect(pushes.filter((s) => s.bytes > 6 * MiB).map((s) => s.mutations)).toEqual([1, 1, 1, 1]);
    await a.close();
  }, 300_000);

  it('a server with a small body limit: the client finds it through 413, drains, and sets aside the one change too large for it', async () => {
    const small = await startTestServer({ bodyLimitBytes: 300 * 1024 });
    try {
      const http = measuredHttp();
      const a = await device(small, email(), { signup: true, http });
      const ids: string[] = [];
      for (let i = 0; i < 30; i++)
        ids.push(
          (await a.tables.notes.create({ title: `n${i}`, content: `${i} `.padEnd(100_000, 'x') }))
            .id,
        );
      const tooBig = await a.tables.notes.create({
        title: 'too big for this server',
        content: 'y'.repeat(400_000),
      });
      for (let i = 30; i < 40; i++)
        ids.push(
          (await a.tables.notes.create({ title: `n${i}`, content: `${i} `.padEnd(100_000, 'x') }))
            .id,
        );
      const out = await syncOrReport(a);
      expect(out).toMatchObject({ pushed: 40, complete: true });
      expect(a.status().pending).toBe(0);
      expect(await onServer(ids, small)).toEqual({ count: 40, contentBytes: 40 * 100_000 });
      expect(await onServer([tooBig.id], small)).toEqual({ count: 0, contentBytes: 0 });
      const rejected = await a.rejected();
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ recordId: tooBig.id, code: 'payload_too_large' });
      expect(rejected[0]!.message).toMatch(/larger than the server accepts/);
      // The note itself stays on this device, unsynced; nothing is lost.
      expect(await a.tables.notes.get(tooBig.id)).toMatchObject({
        synced: 0,
        content: 'y'.repeat(400_000),
      });
      // It learned: once the limit was found, later requests fit under it.
      const firstOk = http.sent.findIndex((s) => s.status === 200 && s.mutations > 0);
      expect(firstOk).toBeGreaterThan(0);
      expect(
        http.sent.slice(0, firstOk).every((s) => s.status === 413 || s.status === 'network'),
      ).toBe(true);
      // A second sync has nothing left to do.
      expect(await syncOrReport(a)).toMatchObject({ pushed: 0, complete: true });
      await a.close();
    } finally {
      await small.close();
    }
  }, 120_000);

  it('the request after a 413 failing on the network (a connection the server closed, reused) is retried once, not reported offline', async () => {
    const small = await startTestServer({ bodyLimitBytes: 300 * 1024 });
    try {
      let staleNext = false;
      const stale: HttpFn = async (req) => {
        if (staleNext && req.url.endsWith('/v1/sync')) {
          staleNext = false;
          throw new TypeError('fetch failed', {
            cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
          });
        }
        const res = await fetchHttp(req);
        if (res.status === 413) staleNext = true;
        return res;
      };
      const a = await device(small, email(), { signup: true, http: stale });
      const tooBig = await a.tables.notes.create({
        title: 'too big',
        content: 'y'.repeat(400_000),
      });
      const fine = await a.tables.notes.create({ title: 'fine', content: 'small' });
      // Every request right after a 413 meets a closed connection: [tooBig, fine] 413, [tooBig]
      // reset then 413 (set aside), [fine] reset then applied.
      expect(await syncOrReport(a)).toMatchObject({ pushed: 1, complete: true });
      expect((await a.rejected()).map((r) => r.recordId)).toEqual([tooBig.id]);
      expect(await onServer([fine.id], small)).toEqual({ count: 1, contentBytes: 5 });
      await a.close();
    } finally {
      await small.close();
    }
  });

  it('connection resets on large bodies (how a 413 can arrive): the client sends less and drains', async () => {
    // A path that resets the connection for any body over 256 KiB, as a server answering 413 and
    // closing while the client still writes does.
    const resetAbove = 256 * 1024;
    const resetting: HttpFn = async (req) => {
      if (req.body !== undefined && Buffer.byteLength(req.body) > resetAbove) {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
        });
      }
      return fetchHttp(req);
    };
    const http = measuredHttp(resetting);
    const a = await device(server, email(), { signup: true, http });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(
        (await a.tables.notes.create({ title: `n${i}`, content: `${i} `.padEnd(100_000, 'z') })).id,
      );
    const out = await syncOrReport(a);
    expect(out).toMatchObject({ pushed: 20, complete: true });
    expect(await onServer(ids)).toEqual({ count: 20, contentBytes: 20 * 100_000 });

    // A single change over that size cannot be made smaller: it is NOT set aside (a reset may be
    // the network), the sync fails as offline and the change stays queued for the next try.
    const alone = await a.tables.notes.create({ title: 'alone', content: 'w'.repeat(300_000) });
    const err = await a.sync().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).kind).toBe(ErrorKind.network);
    expect(a.status()).toMatchObject({ state: 'offline', pending: 1 });
    expect(await a.rejected()).toEqual([]);
    expect((await a.outbox()).map((e) => e.recordId)).toEqual([alone.id]);
    await a.close();
  });
});
