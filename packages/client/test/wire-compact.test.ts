import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompactSyncResponse } from '@ferry/protocol';
import type { HttpFn, HttpRequest, HttpResponse } from '../src/api.ts';
import { fetchHttp, memoryTokenStore, openFerry, type Ferry } from '../src/index.ts';
import { nodeHttp, openNodeDriver } from '../src/node/index.ts';
import { Transport } from '../src/http.ts';
import { tempDbPath } from './helpers.ts';
import { PASSWORD, email, startTestServer, type TestServer } from './server.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

interface Exchange {
  req: HttpRequest;
  res: HttpResponse;
}

/** The platform's fetch, and Node's own http (what the CLI uses): each test below runs on both. */
const transports = [
  ['fetchHttp', fetchHttp],
  ['nodeHttp', nodeHttp],
] as const;
type BaseHttp = (typeof transports)[number][1];

/** `base`, with every sync exchange kept (the request as the engine made it, the answer decoded). */
function recordingHttp(base: BaseHttp, log: Exchange[]): HttpFn {
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    const res = await base(req);
    if (req.url.endsWith('/v1/sync')) log.push({ req, res });
    return res;
  };
  return Object.assign(http, { codings: base.codings });
}

async function engine(
  base: BaseHttp,
  s: TestServer,
  user: string,
  log: Exchange[],
  signup = false,
) {
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(tempDbPath()),
    tokenStore: memoryTokenStore(),
    http: recordingHttp(base, log),
    compress: true,
  });
  if (signup) await f.signup(s.url, user, PASSWORD);
  else await f.login(s.url, user, PASSWORD, 'wire test');
  return f;
}

const snapshot = async (f: Ferry<typeof ferryTables>) =>
  (await f.tables.notes.list({ deleted: true }))
    .map(({ synced: _s, ...n }) => n)
    .sort((a, b) => (a.id < b.id ? -1 : 1));

describe.each(transports)('the engine on compact, compressed pages over %s', (_name, base) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('pushes gzip, reads brotli, gets its own rows acknowledged, and two devices converge', async () => {
    const user = email();
    const logA: Exchange[] = [];
    const logB: Exchange[] = [];
    const a = await engine(base, s, user, logA, true);
    const b = await engine(base, s, user, logB);
    const made = [
      { title: '', content: '' },
      { title: '日本語 😀', content: 'tab\there\nnewline\u0001 "q" \\' },
      { title: 'big', content: 'ü'.repeat(512 * 1024) },
      ...Array.from({ length: 200 }, (_, i) => ({ title: `n${i}`, content: 'words '.repeat(30) })),
    ];
    for (const n of made) await a.tables.notes.create(n);
    await a.tables.notes.remove((await a.tables.notes.list())[0]!.id);
    logA.length = 0;
    await a.sync();

    const pushes = logA.filter((e) => e.req.body?.includes('"mutations":[{') === true);
    expect(pushes.length).toBeGreaterThan(0);
    for (const p of pushes) {
      expect(p.req.gzip).toBe(true);
      expect(p.req.headers['accept-encoding']).toBe('br, gzip');
      expect(p.res.headers['content-encoding']).toBe('br');
      const body = JSON.parse(p.res.body) as CompactSyncResponse;
      expect(body.compact).toBe(1);
      // Up to date: the page is this push's rows, every one acknowledged, none sent back whole.
      for (const g of body.tables ?? []) expect(g.rows).toBeUndefined();
    }
    const acked = pushes.flatMap((p) =>
      ((JSON.parse(p.res.body) as CompactSyncResponse).tables ?? []).flatMap((g) => g.acks ?? []),
    );
    expect(acked.length).toBeGreaterThanOrEqual(made.length);
    expect(
      (await a.tables.notes.list({ deleted: true })).every((n) => n.version >= 1 && n.synced === 1),
    ).toBe(true);

    await b.sync();
    expect(await snapshot(b)).toEqual(await snapshot(a));
    // b edits, a (behind) edits another note: each gets the other's change whole, its own acked.
    const [first, second] = await b.tables.notes.list();
    await b.tables.notes.update(first!.id, { title: 'changed on b' });
    await b.sync();
    await a.tables.notes.update(second!.id, { content: 'changed on a' });
    await a.sync();
    await b.sync();
    expect(await snapshot(b)).toEqual(await snapshot(a));
    expect((await a.tables.notes.get(first!.id))?.title).toBe('changed on b');
    await a.close();
    await b.close();
  });
});

describe('what the engine asks of its transport', () => {
  const seen: HttpRequest[] = [];
  // A new function each time: `codings` is set on it.
  const answer =
    () =>
    (req: HttpRequest): Promise<HttpResponse> => {
      seen.push(req);
      return Promise.resolve({ status: 200, headers: {}, body: '{}' });
    };
  const body = { text: 'x'.repeat(2000) };

  it.each([
    [
      'fetch to a remote server',
      { accept: 'br, gzip', gzipRequests: true },
      'https://ferry.example',
      undefined,
      'br, gzip',
      true,
    ],
    [
      'the desktop shell to a remote server',
      { accept: 'gzip', gzipRequests: false },
      'https://ferry.example',
      undefined,
      'gzip',
      false,
    ],
    [
      'fetch to loopback',
      { accept: 'br, gzip', gzipRequests: true },
      'http://127.0.0.1:8787',
      undefined,
      'identity',
      false,
    ],
    [
      'fetch to loopback, compress forced',
      { accept: 'br, gzip', gzipRequests: true },
      'http://127.0.0.1:8787',
      true,
      'br, gzip',
      true,
    ],
    [
      'a transport without codings',
      undefined,
      'https://ferry.example',
      undefined,
      undefined,
      false,
    ],
  ] as const)('%s', async (_name, codings, base, compress, accept, gzip) => {
    seen.length = 0;
    const http: HttpFn = codings ? Object.assign(answer(), { codings }) : answer();
    await new Transport(http, Date.now, compress).call(base, 'POST', '/v1/sync', { body });
    expect(seen[0]?.headers['accept-encoding']).toBe(accept);
    expect(seen[0]?.gzip === true).toBe(gzip);
  });
});
