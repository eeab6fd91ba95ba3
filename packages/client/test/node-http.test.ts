import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HttpFn } from '../src/api.ts';
import { createFetchHttp, ErrorKind, FerryError, fetchHttp } from '../src/index.ts';
import { Transport } from '../src/http.ts';
import { createNodeHttp, nodeHttp } from '../src/node/index.ts';

/** What the test server saw of the last request. */
let last: { method: string; headers: IncomingMessage['headers']; body: string } | null = null;

const TEXT = `{"x":"${'日本語 😀 '.repeat(3000)}"}`;

const MiB = 1024 * 1024;
/** 50 MB of zeros: ~50 KiB gzipped, ~10 KiB in brotli (quality 4, quick to make). */
const ZEROS = Buffer.alloc(50 * 1000 * 1000);
const GZIP_BOMB = gzipSync(ZEROS);
const BR_BOMB = brotliCompressSync(ZEROS, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
/** Requests `/target`, where `/moved…` points, has seen. */
let targetHits = 0;
/** Whether the server saw the connection of `/endless` close (the client let it go). */
let endlessClosed = false;

/** Writes 64 KiB chunks for as long as the client reads them, with no content-length. */
function endless(res: ServerResponse): void {
  endlessClosed = false;
  res.on('close', () => {
    endlessClosed = true;
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  last = { method: req.method ?? '', headers: req.headers, body: body.toString('utf8') };
  const path = req.url ?? '/';
  if (path === '/gzip') {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
    res.end(gzipSync(TEXT));
  } else if (path === '/br') {
    res.writeHead(200, { 'Content-Encoding': 'br', 'X-Two': ['a', 'b'] });
    res.end(brotliCompressSync(TEXT));
  } else if (path === '/cut') {
    // Promises more than it sends, then drops the connection.
    res.writeHead(200, { 'content-length': String(TEXT.length * 2) });
    res.write(TEXT.slice(0, 100));
    setTimeout(() => res.socket?.destroy(), 20);
  } else if (path === '/slow') {
    setTimeout(() => res.end('late'), 2_000);
  } else if (path === '/silent') {
    // Accepts the request and never answers.
  } else if (path === '/stall') {
    // The head and a first chunk, then nothing more.
    res.writeHead(200, { 'content-length': String(TEXT.length) });
    res.write(TEXT.slice(0, 100));
  } else if (path === '/gzip-bomb') {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
    res.end(GZIP_BOMB);
  } else if (path === '/br-bomb') {
    res.writeHead(200, { 'content-encoding': 'br', 'content-type': 'application/json' });
    res.end(BR_BOMB);
  } else if (path === '/big') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(Buffer.alloc(4 * MiB, 'a'));
  } else if (path === '/endless') {
    endless(res);
  } else if (path.startsWith('/moved')) {
    res.writeHead(path === '/moved-relative' ? 307 : 302, {
      location:
        path === '/moved-relative'
          ? '/target?next=%2Fv1&access_token=secret#frag'
          : `http://user:pw@${req.headers.host ?? ''}/target?token=secret#frag`,
    });
    res.end('moved');
  } else if (path === '/target') {
    targetHits += 1;
    res.writeHead(200).end('{}');
  } else if (path === '/204') {
    res.writeHead(204).end();
  } else if (path === '/401') {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"no"}');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(TEXT);
  }
}

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// nodeHttp must answer what fetchHttp answers: each case runs against both.
describe.each([
  ['fetchHttp', fetchHttp],
  ['nodeHttp', nodeHttp],
] as [string, HttpFn][])('%s', (_name, http) => {
  it('sends the method, headers and body, and reads an identity body', async () => {
    const res = await http({
      method: 'POST',
      url: `${base}/plain`,
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"a":"é"}',
    });
    expect(res).toMatchObject({ status: 200, body: TEXT });
    expect(res.headers['content-type']).toBe('application/json');
    expect(last).toMatchObject({ method: 'POST', body: '{"a":"é"}' });
    expect(last?.headers.authorization).toBe('Bearer t');
  });

  it('sends a body marked gzip compressed, and decodes gzip and brotli answers', async () => {
    const body = JSON.stringify({ text: 'ü'.repeat(5000) });
    const gz = await http({ method: 'POST', url: `${base}/gzip`, headers: {}, body, gzip: true });
    expect(last?.headers['content-encoding']).toBe('gzip');
    expect(last?.body).toBe(body);
    expect(gz.body).toBe(TEXT);
    const br = await http({ method: 'GET', url: `${base}/br`, headers: {} });
    expect(br.body).toBe(TEXT);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['x-two']).toBe('a, b');
  });

  it('hands back statuses other than 200 with their body, 204 with none', async () => {
    expect(await http({ method: 'GET', url: `${base}/401`, headers: {} })).toMatchObject({
      status: 401,
      body: '{"error":"no"}',
    });
    expect(await http({ method: 'GET', url: `${base}/204`, headers: {} })).toMatchObject({
      status: 204,
      body: '',
    });
  });

  it('rejects when the connection is refused, cut mid-body, or the signal aborts', async () => {
    const refused = new URL(base);
    refused.port = '1';
    await expect(http({ method: 'GET', url: refused.href, headers: {} })).rejects.toThrow();
    await expect(http({ method: 'GET', url: `${base}/cut`, headers: {} })).rejects.toThrow();
    const abort = new AbortController();
    const slow = http({ method: 'GET', url: `${base}/slow`, headers: {}, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(slow).rejects.toThrow();
  });
});

it('nodeHttp names the refused address in its error, as fetch does in its cause', async () => {
  const refused = new URL(base);
  refused.port = '1';
  await expect(nodeHttp({ method: 'GET', url: refused.href, headers: {} })).rejects.toThrow(
    /ECONNREFUSED 127\.0\.0\.1:1/,
  );
});

it('nodeHttp gives up on a server that stops answering: before the head, or mid-body', async () => {
  const http = createNodeHttp({ idleMs: 200 });
  await expect(http({ method: 'GET', url: `${base}/silent`, headers: {} })).rejects.toThrow(
    /no answer from 127\.0\.0\.1:\d+ for 0\.2 s/,
  );
  await expect(http({ method: 'GET', url: `${base}/stall`, headers: {} })).rejects.toThrow(
    /no answer from 127\.0\.0\.1:\d+ for 0\.2 s/,
  );
  // A slow answer that keeps coming in time is not cut.
  expect(
    await createNodeHttp({ idleMs: 5_000 })({ method: 'GET', url: `${base}/slow`, headers: {} }),
  ).toMatchObject({
    status: 200,
    body: 'late',
  });
});

/** How `p` ended, in a line: a failure's message, or the status and length of what it read. */
async function outcome(p: Promise<{ status: number; body: string }>): Promise<string> {
  try {
    const res = await p;
    return `resolved: ${res.status}, ${res.body.length} chars`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe.each([
  ['createNodeHttp', createNodeHttp],
  ['createFetchHttp', createFetchHttp],
] as const)('%s caps the body it reads', (_name, create) => {
  const http = create({ maxBodyBytes: MiB });
  const get = (path: string) =>
    outcome(http({ method: 'GET', url: `${base}${path}`, headers: {} }));
  const over = /^the response from 127\.0\.0\.1:\d+ is larger than the limit of 1048576 bytes/;

  it('stops decoding a gzip or brotli bomb at the cap', async () => {
    expect(await get('/gzip-bomb')).toMatch(over);
    expect(await get('/br-bomb')).toMatch(over);
  });

  it('refuses a plain body over the cap, and lets the connection go', async () => {
    expect(await get('/big')).toMatch(over);
    // No content-length: the cap is met while reading; the socket is destroyed, not left open.
    expect(await get('/endless')).toMatch(over);
    await vi.waitFor(() => expect(endlessClosed).toBe(true));
  });

  it('reads a body up to the cap', async () => {
    const four = create({ maxBodyBytes: 4 * MiB });
    expect(await outcome(four({ method: 'GET', url: `${base}/big`, headers: {} }))).toBe(
      `resolved: 200, ${4 * MiB} chars`,
    );
  });

  it('fails as a protocol error through the Transport (the CLI exits 1 with its message)', async () => {
    const err: unknown = await new Transport(http, Date.now, true)
      .call(base, 'GET', '/gzip-bomb')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).kind).toBe(ErrorKind.protocol);
    expect((err as FerryError).message).toMatch(over);
  });
});

it('nodeHttp says a body over its cap was so once decompressed', async () => {
  const http = createNodeHttp({ maxBodyBytes: MiB });
  expect(await outcome(http({ method: 'GET', url: `${base}/gzip-bomb`, headers: {} }))).toMatch(
    /larger than the limit of 1048576 bytes once decompressed$/,
  );
});

it('nodeHttp follows no redirect: a 3xx fails, naming the status and the Location without its query', async () => {
  for (const [path, status, location] of [
    ['/moved', 302, /http:\/\/127\.0\.0\.1:\d+\/target/],
    ['/moved-relative', 307, /http:\/\/127\.0\.0\.1:\d+\/target/],
  ] as const) {
    const res = await outcome(
      nodeHttp({ method: 'GET', url: `${base}${path}`, headers: { authorization: 'Bearer t' } }),
    );
    expect(res).toMatch(new RegExp(`^the server answered ${status}, a redirect to `));
    expect(res).toMatch(location);
    expect(res).not.toMatch(/secret|token|user|pw|\?|#/);
  }
  expect(targetHits).toBe(0);
});

it('a redirect fails as a protocol error through the Transport', async () => {
  const err: unknown = await new Transport(nodeHttp, Date.now, false)
    .call(base, 'GET', '/moved', { token: 't' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FerryError);
  expect((err as FerryError).kind).toBe(ErrorKind.protocol);
});
