/**
 * Issue 7, item 8 (server): the error envelope on every error, whoever raises it (a route, Fastify's
 * router, Node's HTTP parser); `nosniff` and `no-store` on every response; passwords counted in
 * code points; impossible dates rejected; client input quoted briefly; an OpenAPI document that
 * says what the server accepts.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Limits,
  MIN_PROTOCOL_VERSION,
  FERRY_MIN_SCHEMA_VERSION,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
} from '@ferry/protocol';
import {
  Device,
  anyString,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';
import { postRaw } from './hostile.ts';

type Envelope = { error: { code: string; message: string } };

/** Sends raw bytes; the status line, headers and body of the answer (the connection closes). */
function raw(
  url: string,
  bytes: string,
): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (b: Buffer) => (received += b.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
    socket.write(bytes);
  });
}

function expectEnvelope(body: unknown, code?: string): void {
  expect(body).toEqual({ error: { code: code ?? anyString, message: anyString } });
}

describe('the error envelope on every error', () => {
  let s: TestServer;
  let u: TestUser;
  beforeAll(async () => {
    s = await startTestServer({ headersTimeoutMs: 1000, requestTimeoutMs: 1500 });
    u = await signup(s.url);
  });
  afterAll(async () => {
    await s.close();
  });

  it('answers a URL that is not valid percent-encoding with a 400 envelope', async () => {
    for (const path of ['/v1/%zz', '/v1/sync%', '/%E0%A4%A']) {
      const r = await call(s.url, 'GET', path);
      expect(r.status, path).toBe(400);
      expectEnvelope(r.body, 'invalid_request');
    }
  });

  it('answers unknown routes with 404, and methods a path does not serve with 405 and Allow', async () => {
    const unknown = await call(s.url, 'GET', '/nope', { token: u.token });
    expect(unknown.status).toBe(404);
    expectEnvelope(unknown.body, 'not_found');
    for (const [method, path, allow] of [
      ['DELETE', '/healthz', 'GET, HEAD'],
      ['PUT', '/v1/sync', 'POST'],
      ['GET', '/v1/sync', 'POST'],
      ['PATCH', '/v1/me', 'GET, HEAD'],
    ] as const) {
      const r = await call(s.url, method, path, { token: u.token });
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      expectEnvelope(r.body, 'method_not_allowed');
    }
    // fetch refuses to send TRACE.
    const trace = await raw(
      s.url,
      'TRACE /v1/auth/login HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
    );
    expect(trace.status).toBe(405);
    expect(trace.headers.toLowerCase()).toContain('allow: post');
  });

  it('answers bodies it cannot read with a 400 envelope', async () => {
    for (const opts of [
      { raw: '{"email":', headers: {} },
      { raw: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { raw: 'x', headers: { 'content-type': 'text/plain' } },
      { raw: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } },
    ]) {
      const r = await call(s.url, 'POST', '/v1/auth/login', opts);
      expect(r.status, JSON.stringify(opts)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expectEnvelope(r.body);
    }
  });

  it('answers what Node refuses before any route runs with an envelope', async () => {
    const garbage = await raw(s.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.status).toBe(400);
    expectEnvelope(JSON.parse(garbage.body), 'invalid_request');

    const bigHeader = await raw(
      s.url,
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(bigHeader.status).toBe(431);
    expectEnvelope(JSON.parse(bigHeader.body));

    const slow = await raw(s.url, 'GET /healthz HTTP/1.1\r\nhost: x\r\n');
    expect(slow.status).toBe(408);
    expectEnvelope(JSON.parse(slow.body), 'request_timeout');
    for (const r of [garbage, bigHeader, slow]) {
      expect(r.headers.toLowerCase()).toContain('x-content-type-options: nosniff');
      expect(r.headers.toLowerCase()).toContain('cache-control: no-store');
    }
  });

  it('marks every response nosniff and no-store', async () => {
    const d = new Device(s.url, u.token);
    const responses = [
      await call(s.url, 'GET', '/healthz'),
      await call(s.url, 'GET', '/metrics'),
      await call(s.url, 'GET', '/openapi.json'),
      await call(s.url, 'GET', '/v1/me', { token: u.token }),
      await call(s.url, 'GET', '/v1/me'),
      await call(s.url, 'GET', '/v1/%zz'),
      await call(s.url, 'GET', '/nope'),
      await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]),
    ];
    for (const r of responses) {
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('counts answers given before the body in /metrics', async () => {
    expect(await postRaw(s.url, '/v1/sync', Buffer.alloc(9 * 1024 * 1024, 0x20), u.token)).toBe(
      413,
    );
    const m = await call<string>(s.url, 'GET', '/metrics');
    expect(m.body).toMatch(
      /ferry_http_requests_total\{route="\/v1\/sync",method="POST",status="413"\} [1-9]/,
    );
  });

  it('quotes client input in messages briefly', async () => {
    const long = 'a'.repeat(10_000);
    const notFound = await call<Envelope>(s.url, 'GET', `/${long}`);
    expect(notFound.body.error.message.length).toBeLessThan(200);
    const d = new Device(s.url, u.token);
    const r = await d.sync([d.mutation('notes', newId(), 'upsert', { ...newNote(), [long]: 1 })]);
    const result = r.body.results[0] as { status: string; message: string };
    expect(result.status).toBe('rejected');
    expect(result.message.length).toBeLessThan(200);
  });
});

describe('what the server accepts', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('counts the password minimum in code points, not UTF-16 units', async () => {
    const four = '😀😀😀😀'; // 8 UTF-16 units, 4 characters
    const short = await call<Envelope>(s.url, 'POST', '/v1/auth/signup', {
      body: { email: `short-${newId()}@example.com`, password: four },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain('password');
    const eight = await call(s.url, 'POST', '/v1/auth/signup', {
      body: { email: `eight-${newId()}@example.com`, password: four + four },
    });
    expect(eight.status).toBe(201);
    const max = await call(s.url, 'POST', '/v1/auth/signup', {
      body: {
        email: `max-${newId()}@example.com`,
        password: '😀'.repeat(Limits.maxPasswordLength),
      },
    });
    expect(max.status).toBe(201);
  });

  it('rejects a mutation with an impossible date', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const r = await d.sync([
      d.mutation('notes', newId(), 'upsert', {
        ...newNote(),
        created_at: '2025-02-30T00:00:00.000Z',
      }),
    ]);
    expect(r.body.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_value' });
  });

  it('documents protocol, schemaVersion and the password minimum as they are checked', async () => {
    type Schema = {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    type Op = {
      requestBody?: { content: Record<string, { schema: Schema }> };
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    const doc = (
      await call<{ paths: Record<string, Record<string, Op>> }>(s.url, 'GET', '/openapi.json')
    ).body;
    const sync = doc.paths['/v1/sync']!.post!.requestBody!.content['application/json']!.schema;
    expect(sync.required).toEqual(expect.arrayContaining(['protocol', 'schemaVersion']));
    expect(sync.properties.protocol).toMatchObject({
      type: 'integer',
      minimum: MIN_PROTOCOL_VERSION,
      maximum: PROTOCOL_VERSION,
    });
    expect(sync.properties.schemaVersion).toMatchObject({
      type: 'integer',
      minimum: FERRY_MIN_SCHEMA_VERSION,
      maximum: FERRY_SCHEMA_VERSION,
    });
    expect(doc.paths['/v1/sync']!.post!.responses['426']).toBeDefined();
    const signupBody =
      doc.paths['/v1/auth/signup']!.post!.requestBody!.content['application/json']!.schema;
    expect(signupBody.properties.password).toMatchObject({
      minLength: Limits.minPasswordLength,
      maxLength: Limits.maxPasswordLength,
    });
    expect(Object.keys(doc.paths['/v1/events']!.get!.responses['200']!.content!)).toEqual([
      'text/event-stream',
    ]);
    expect(Object.keys(doc.paths['/metrics']!.get!.responses['200']!.content!)).toEqual([
      'text/plain',
    ]);
  });
});
