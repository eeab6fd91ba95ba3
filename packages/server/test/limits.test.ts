import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION } from '@ferry/protocol';
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

type Envelope = { error: { code: string; message: string } };

describe('limits', () => {
  let s: TestServer;
  let u: TestUser;
  let d: Device;
  const stillServing = async (): Promise<void> => {
    expect((await call(s.url, 'GET', '/healthz')).status).toBe(200);
    const r = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
    expect(r.status).toBe(200);
    expect(r.body.results[0]!.status).toBe('applied');
  };
  beforeAll(async () => {
    s = await startTestServer({ maxPullLimit: 50 });
    u = await signup(s.url);
    d = new Device(s.url, u.token);
  });
  afterAll(async () => {
    await s.close();
  });

  const body = (mutations: unknown[], extra: Record<string, unknown> = {}) => ({
    protocol: PROTOCOL_VERSION,
    clientId: d.clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations,
    ...extra,
  });

  it('answers a body over 8 MiB with 413 and the envelope', async () => {
    const big = 'x'.repeat(9 * 1024 * 1024);
    const r = await call<Envelope>(s.url, 'POST', '/v1/sync', {
      token: u.token,
      raw: JSON.stringify(body([], { pad: big })),
    });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ error: { code: 'payload_too_large', message: anyString } });
    await stillServing();
  });

  it('answers more than 500 mutations with 400 naming the field', async () => {
    const muts = Array.from({ length: 501 }, () =>
      d.mutation('notes', newId(), 'upsert', newNote()),
    );
    const r = await call<Envelope>(s.url, 'POST', '/v1/sync', { token: u.token, body: body(muts) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.message).toContain('mutations');
    await stillServing();
  });

  it('answers malformed JSON, a wrong content-type and an empty body with 400 envelopes', async () => {
    for (const opts of [
      { raw: '{"protocol": 1,' },
      { raw: '[1,2', headers: { 'content-type': 'application/json; charset=utf-8' } },
      { raw: 'protocol=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { raw: '', headers: { 'content-type': 'application/json' } },
      { raw: 'null' },
      { raw: '"text"' },
    ]) {
      const r = await call<Envelope>(s.url, 'POST', '/v1/sync', { token: u.token, ...opts });
      expect(r.status, JSON.stringify(opts)).toBe(400);
      expect(r.body).toEqual({ error: { code: 'invalid_request', message: anyString } });
    }
    await stillServing();
  });

  it('rejects an oversized field per mutation and keeps the rest', async () => {
    const id = newId();
    const r = await d.sync([
      d.mutation('notes', id, 'upsert', newNote('t', 'x'.repeat(1024 * 1024 + 1))),
      d.mutation('notes', id, 'upsert', newNote('t', 'small')),
    ]);
    expect(r.body.results.map((x) => x.status)).toEqual(['rejected', 'applied']);
    expect(r.body.results[0]).toMatchObject({ code: 'too_large' });
  });

  it('caps the pull at the configured limit and rejects pullLimit over the protocol maximum', async () => {
    const reader = new Device(s.url, u.token);
    const r = await reader.sync([], { pullLimit: 1000 });
    expect(r.status).toBe(200);
    expect(r.body.changes.length).toBeLessThanOrEqual(50);
    const over = await reader.sync([], { pullLimit: 1001 });
    expect(over.status).toBe(400);
    expect((over.body as unknown as Envelope).error.message).toContain('pullLimit');
  });

  it('rate-limits failed logins with 429 + Retry-After and keeps serving', async () => {
    for (let i = 0; i < 10; i++)
      await call(s.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password: 'nope nope' },
      });
    const r = await call<Envelope>(s.url, 'POST', '/v1/auth/login', {
      body: { email: u.email, password: 'nope nope' },
    });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    await stillServing();
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const r = await call<Envelope>(s.url, 'GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('limits (configured lower)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ maxMutationsPerRequest: 3, bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    await s.close();
  });

  it('applies the configured mutation count and body size', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const four = await d.sync(
      [1, 2, 3, 4].map(() => d.mutation('notes', newId(), 'upsert', newNote())),
    );
    expect(four.status).toBe(400);
    const big = await d.sync([
      d.mutation('notes', newId(), 'upsert', newNote('t', 'y'.repeat(5000))),
    ]);
    expect(big.status).toBe(413);
    const ok = await d.sync([1, 2, 3].map(() => d.mutation('notes', newId(), 'upsert', newNote())));
    expect(ok.status).toBe(200);
  });
});
