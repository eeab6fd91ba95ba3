import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import {
  Device,
  call,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
} from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

/** GET with accept-encoding: gzip, returning the raw bytes (fetch would decompress them). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ops endpoints', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves /healthz and /readyz', async () => {
    expect((await call(s.url, 'GET', '/healthz')).status).toBe(200);
    const r = await call<{ status: string }>(s.url, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });

  it('counts requests and mutations in /metrics', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    await d.sync([
      d.mutation('notes', newId(), 'upsert', newNote()),
      d.mutation('notes', newId(), 'upsert', { bogus: 1 }),
    ]);
    const r = await call<string>(s.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.body).toMatch(
      /ferry_http_requests_total\{route="\/v1\/sync",method="POST",status="200"\} \d+/,
    );
    expect(r.body).toMatch(/ferry_mutations_total\{status="applied"\} \d+/);
    expect(r.body).toMatch(/ferry_mutations_total\{status="rejected"\} \d+/);
    expect(r.body).toMatch(/ferry_sync_duration_seconds_count \d+/);
  });

  it('documents every endpoint in /openapi.json', async () => {
    const r = await call<{ openapi: string; paths: Record<string, unknown> }>(
      s.url,
      'GET',
      '/openapi.json',
    );
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/auth/signup',
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/me',
      '/v1/sync',
      '/v1/events',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      expect(Object.keys(r.body.paths)).toContain(p);
    }
  });

  it('answers CORS preflights without credentials', async () => {
    const r = await fetch(`${s.url}/v1/sync`, {
      method: 'OPTIONS',
      headers: {
        origin: 'tauri://localhost',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gzips large responses when asked', async () => {
    const r = await rawGet(`${s.url}/openapi.json`, { 'accept-encoding': 'gzip' });
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(r.body).toString('utf8'))).toHaveProperty('openapi');
    const plain = await rawGet(`${s.url}/openapi.json`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
  });
});

describe('readiness when the database goes away', () => {
  it('answers /readyz and /v1/sync with 503 + Retry-After, /healthz still 200', async () => {
    const s = await startTestServer();
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const dbUrl = new URL(s.dbUrl);
    const admin = new URL(s.dbUrl);
    admin.pathname = '/postgres';
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    await c.query(`DROP DATABASE ${dbUrl.pathname.slice(1)} WITH (FORCE)`);
    await c.end();
    const r = await call<{ error: { code: string } }>(s.url, 'GET', '/readyz');
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    const sync = await d.sync();
    expect(sync.status).toBe(503);
    expect(sync.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call(s.url, 'GET', '/healthz')).status).toBe(200);
    await s.close();
  });
});

describe('start-up', () => {
  it('migrates once when several servers start on one fresh database at the same time', async () => {
    const { createTestDatabase } = await import('../src/testing/index.ts');
    const { createServer } = await import('../src/index.ts');
    const db = await createTestDatabase();
    try {
      const servers = await Promise.all(
        [1, 2, 3].map(() =>
          createServer({ ...ferrySchema, port: 0, logLevel: 'silent', databaseUrl: db.url }),
        ),
      );
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const m = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      const ids = await c.query("SELECT value FROM server_meta WHERE key = 'server_id'");
      await c.end();
      const { MIGRATIONS } = await import('../src/db/migrations.ts');
      expect(m.rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(
        MIGRATIONS.map((x) => x.version),
      );
      expect(ids.rows).toHaveLength(1);
      for (const s of servers) expect((await call(s.url, 'GET', '/readyz')).status).toBe(200);
      await Promise.all(servers.map((s) => s.close()));
    } finally {
      await db.drop();
    }
  });
});
