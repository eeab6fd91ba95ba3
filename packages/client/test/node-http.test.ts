import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpFn } from '../src/api.ts';
import { fetchHttp } from '../src/index.ts';
import { createNodeHttp, nodeHttp } from '../src/node/index.ts';

/** What the test server saw of the last request. */
let last: { method: string; headers: IncomingMessage['headers']; body: string } | null = null;

const TEXT = `{"x":"${'日本語 😀 '.repeat(3000)}"}`;

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
