import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION, type SyncResponse } from '@ferry/protocol';
import { negotiateCoding } from '../src/http/compression.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

interface RawRes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request over node:http, bytes in and out as they are (fetch would decode the answer). */
function raw(
  url: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawRes> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: body === undefined ? 'GET' : 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('negotiateCoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['BR;Q=0.5', 'br'],
    ['gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['deflate', 'identity'],
  ])('%j → %s', (header, coding) => {
    expect(negotiateCoding(header)).toBe(coding);
  });
});

describe('compression on the wire', () => {
  const LIMIT = 256 * 1024;
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ bodyLimitBytes: LIMIT });
  });
  afterAll(async () => {
    await s.close();
  });

  const syncBody = (d: Device, mutations: unknown[]): Buffer =>
    Buffer.from(
      JSON.stringify({
        protocol: PROTOCOL_VERSION,
        clientId: d.clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor: '0',
        mutations,
      }),
    );

  it('answers a pull in brotli, gzip or plain, as the client accepts', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const notes = Array.from({ length: 20 }, (_, i) =>
      d.mutation('notes', newId(), 'upsert', newNote(`note ${i}`, 'some words '.repeat(20))),
    );
    expect((await d.sync(notes)).status).toBe(200);
    const body = syncBody(new Device(s.url, u.token), []);
    const headers = { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' };
    const br = await raw(s.url, '/v1/sync', { ...headers, 'accept-encoding': 'gzip, br' }, body);
    const gz = await raw(s.url, '/v1/sync', { ...headers, 'accept-encoding': 'gzip' }, body);
    const plain = await raw(s.url, '/v1/sync', { ...headers, 'accept-encoding': 'identity' }, body);
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (const r of [br, gz, plain]) expect(r.headers.vary).toContain('accept-encoding');
    const texts = [
      brotliDecompressSync(br.body).toString(),
      gunzipSync(gz.body).toString(),
      plain.body.toString(),
    ];
    const parsed = texts.map((t) => JSON.parse(t) as SyncResponse);
    for (const p of parsed) expect(p.changes).toHaveLength(20);
    // Same rows whatever the coding (serverHlc moves between requests).
    expect(parsed[0]!.changes).toEqual(parsed[2]!.changes);
    expect(parsed[1]!.changes).toEqual(parsed[2]!.changes);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);
  });

  it('reads push bodies sent with gzip, br or deflate', async () => {
    const u = await signup(s.url);
    for (const [coding, encode] of [
      ['gzip', (b: Buffer) => gzipSync(b)],
      ['br', (b: Buffer) => brotliCompressSync(b)],
      ['deflate', (b: Buffer) => deflateSync(b)],
    ] as const) {
      const d = new Device(s.url, u.token);
      const id = newId();
      const body = syncBody(d, [d.mutation('notes', id, 'upsert', newNote(coding, 'é😀 x'))]);
      const r = await raw(
        s.url,
        '/v1/sync',
        {
          authorization: `Bearer ${u.token}`,
          'content-type': 'application/json',
          'content-encoding': coding,
        },
        encode(body),
      );
      expect(r.status, r.body.toString()).toBe(200);
      const res = JSON.parse(r.body.toString()) as SyncResponse;
      expect(res.results).toEqual([{ seq: 1, status: 'applied', version: 1 }]);
      expect(res.changes.find((c) => c.row.id === id)?.row.title).toBe(coding);
    }
  });

  it('limits the decompressed size: a zip bomb is 413 in the envelope, and the server goes on', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    // 64 MiB of one character inside a JSON string: ~64 KiB of gzip, far under the body limit.
    const bomb = gzipSync(
      Buffer.concat([
        Buffer.from('{"protocol":1,"clientId":"x","mutations":[],"cursor":"'),
        Buffer.alloc(64 * 1024 * 1024, 0x41),
        Buffer.from('"}'),
      ]),
      { level: 9 },
    );
    expect(bomb.length).toBeLessThan(LIMIT);
    const r = await raw(
      s.url,
      '/v1/sync',
      {
        authorization: `Bearer ${u.token}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      bomb,
    );
    expect(r.status).toBe(413);
    const envelope = JSON.parse(r.body.toString()) as { error: { code: string; message: string } };
    expect(envelope.error.code).toBe('payload_too_large');
    expect(envelope.error.message).toContain('once decompressed');
    // Just under the limit once decoded is fine.
    const filler = 'x'.repeat(LIMIT - 2048);
    const ok = gzipSync(
      syncBody(d, [d.mutation('notes', newId(), 'upsert', newNote('t', filler))]),
    );
    const fine = await raw(
      s.url,
      '/v1/sync',
      {
        authorization: `Bearer ${u.token}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      ok,
    );
    expect(fine.status).toBe(200);
    expect((JSON.parse(fine.body.toString()) as SyncResponse).results[0]).toMatchObject({
      status: 'applied',
    });
  });

  it('refuses an unknown coding with 415 and a broken body with 400, both in the envelope', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const headers = { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' };
    const unknown = await raw(
      s.url,
      '/v1/sync',
      { ...headers, 'content-encoding': 'compress' },
      syncBody(d, []),
    );
    expect(unknown.status).toBe(415);
    expect(unknown.headers['accept-encoding']).toBe('gzip, br, deflate');
    expect(JSON.parse(unknown.body.toString())).toMatchObject({
      error: { code: 'unsupported_encoding' },
    });
    const broken = await raw(
      s.url,
      '/v1/sync',
      { ...headers, 'content-encoding': 'gzip' },
      Buffer.from('not gzip at all'),
    );
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body.toString())).toMatchObject({
      error: { code: 'invalid_request' },
    });
  });
});
