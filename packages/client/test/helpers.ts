import type { HttpFn, HttpResponse } from '../src/api.ts';
import { memoryTokenStore, openFerry, type Ferry, type FerryTestHooks } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import type { FerryOptions } from '../src/api.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh file database path in a temp dir (WAL needs a real file). */
export function tempDbPath(name = 'ferry.db'): string {
  return join(mkdtempSync(join(tmpdir(), 'ferry-client-')), name);
}

/** Opens an engine on a new temp database. */
export async function openTestFerry(opts: Partial<FerryOptions> & { path?: string } = {}, hooks: FerryTestHooks = {}): Promise<Ferry> {
  const driver = opts.driver ?? (await openNodeDriver(opts.path ?? tempDbPath()));
  return openFerry({ tokenStore: memoryTokenStore(), ...opts, driver }, hooks);
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** An HttpFn that answers from a handler and records every request body. */
export function scriptedHttp(handler: (path: string, body: unknown) => HttpResponse | Promise<HttpResponse>): HttpFn & { calls: { path: string; body: unknown }[] } {
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
