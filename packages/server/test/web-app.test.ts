/**
 * The server serving the built web app at `/` (webRoot): each file with its type, the strict CSP
 * and its caching; the API, its 404 envelope and the OpenAPI document unchanged beside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/index.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { ferrySchema } from '@ferry/protocol';

let root: string;
let s: TestServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ferry-webroot-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Ferry</title>');
  writeFileSync(join(root, 'assets', 'main-abc123.js'), 'export {};');
  writeFileSync(join(root, 'assets', 'sqlite3-abc123.wasm'), Buffer.from([0, 97, 115, 109]));
  s = await startTestServer({ webRoot: root });
});

afterAll(async () => {
  await s?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the web app at /', () => {
  it('serves index.html at / with the CSP, revalidated on every load', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<title>Ferry</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves hashed assets with their types, cached as immutable', async () => {
    const js = await fetch(`${s.url}/assets/main-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const wasm = await fetch(`${s.url}/assets/sqlite3-abc123.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
  });

  it('leaves the API as it was: routes, the 404 envelope, no-store, the OpenAPI document', async () => {
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const missing = await fetch(`${s.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).some((p) => p === '/' || p.startsWith('/assets'))).toBe(false);
    expect(Object.keys(doc.paths)).toContain('/healthz');
  });

  it('refuses to start on a web root without index.html', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ferry-webroot-'));
    try {
      await expect(
        createServer({
          ...ferrySchema,
          port: 0,
          logLevel: 'silent',
          databaseUrl: s.dbUrl,
          webRoot: empty,
        }),
      ).rejects.toThrow(/no index.html/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
