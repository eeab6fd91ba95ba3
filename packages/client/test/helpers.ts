import type { HttpFn, HttpResponse } from '../src/api.ts';
import { memoryTokenStore, openFerry, type Ferry, type FerryTestHooks } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import type { FerryOptions } from '../src/api.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh file database path in a temp dir (WAL needs a real file). */
export function tempDbPath(name = 'ferry.db'): string {
  return join(mkdtempSync(join(tmpdir(), 'ferry-client-')), name);
}

/** The engine as Ferry's notes app opens it. */
export type NotesFerry = Ferry<typeof ferryTables>;

/** Opens an engine with Ferry's tables on a new temp database. */
export async function openTestFerry(
  opts: Partial<Omit<FerryOptions, 'tables'>> & { path?: string } = {},
  hooks: FerryTestHooks = {},
): Promise<NotesFerry> {
  const driver = opts.driver ?? (await openNodeDriver(opts.path ?? tempDbPath()));
  return openFerry({ ...ferrySchema, tokenStore: memoryTokenStore(), ...opts, driver }, hooks);
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An HttpFn that answers from a handler and records every request body. */
export function scriptedHttp(
  handler: (path: string, body: unknown) => HttpResponse | Promise<HttpResponse>,
): HttpFn & { calls: { path: string; body: unknown }[] } {
  const calls: { path: string; body: unknown }[] = [];
  const fn = (async (req) => {
    const path = new URL(req.url).pathname;
    const body = req.body === undefined ? undefined : (JSON.parse(req.body) as unknown);
    calls.push({ path, body });
    return handler(path, body);
  }) as HttpFn & { calls: typeof calls };
  fn.calls = calls;
  return fn;
}

/**
 * Wraps an HttpFn so `during` runs while a `/v1/sync` request is in flight: after the server has
 * answered, before the engine sees the answer (the widest window for a lost edit).
 */
export function slowHttp(inner: HttpFn, during: () => Promise<void>, times = 1): HttpFn {
  let left = times;
  return async (req) => {
    const res = await inner(req);
    if (left > 0 && req.url.endsWith('/v1/sync')) {
      left--;
      await during();
    }
    return res;
  };
}

/** An HttpFn over `inner` whose next `/v1/sync` runs a hook set with `once` while in flight. */
export function hookedHttp(inner: HttpFn): { http: HttpFn; once(fn: () => Promise<void>): void } {
  let hook: (() => Promise<void>) | null = null;
  return {
    http: async (req) => {
      const res = await inner(req);
      if (hook && req.url.endsWith('/v1/sync')) {
        const h = hook;
        hook = null;
        await h();
      }
      return res;
    },
    once(fn) {
      hook = fn;
    },
  };
}
