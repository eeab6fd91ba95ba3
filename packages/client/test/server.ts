import { createServer, type StartOptions } from '@ferry/server';
import { createTestDatabase } from '@ferry/server/testing';
import {
  fetchHttp,
  memoryTokenStore,
  openFerry,
  type Ferry,
  type FerryOptions,
  type FerryTestHooks,
} from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { tempDbPath } from './helpers.ts';
import { ferrySchema, type TableDecl, type ferryTables } from '@ferry/protocol';

/** The real server on a throwaway PostgreSQL database. */
export interface TestServer {
  url: string;
  dbUrl: string;
  port: number;
  close(): Promise<void>;
  /** Stops the HTTP server but keeps the database (for restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and database. */
  restart(): Promise<void>;
}

/** Starts `@ferry/server` on a fresh database, listening on loopback. */
export async function startTestServer(opts: Partial<StartOptions> = {}): Promise<TestServer> {
  const db = await createTestDatabase();
  let running: Awaited<ReturnType<typeof createServer>> | null = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: db.url,
    ...opts,
  });
  const url = running.url;
  const port = Number(new URL(url).port);
  return {
    url,
    dbUrl: db.url,
    port,
    async stop() {
      await running?.close();
      running = null;
    },
    async restart() {
      running = await createServer({
        ...ferrySchema,
        port,
        logLevel: 'silent',
        databaseUrl: db.url,
        ...opts,
      });
    },
    async close() {
      await running?.close();
      running = null;
      await db.drop();
    },
  };
}

let n = 0;
/** A unique email. */
export const email = (): string => `c${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
export const PASSWORD = 'correct horse battery';

/**
 * An engine on a new temp database, signed in to `server` as `user` (signs up when `signup`);
 * with Ferry's tables unless `tables` (and `schemaVersion`) say otherwise.
 */
export async function device<T extends readonly TableDecl[] = typeof ferryTables>(
  server: TestServer,
  user: string,
  opts: {
    signup?: boolean;
    pullLimit?: number;
    now?: () => number;
    http?: FerryOptions['http'];
    tables?: T;
    schemaVersion?: number;
    hooks?: FerryTestHooks;
    path?: string;
  } = {},
): Promise<Ferry<T>> {
  const driver = await openNodeDriver(opts.path ?? tempDbPath());
  const f = await openFerry(
    {
      tables: (opts.tables ?? ferrySchema.tables) as T,
      schemaVersion: opts.schemaVersion ?? ferrySchema.schemaVersion,
      driver,
      tokenStore: memoryTokenStore(),
      http: opts.http ?? fetchHttp,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.pullLimit ? { pullLimit: opts.pullLimit } : {}),
    },
    opts.hooks ?? {},
  );
  if (opts.signup) await f.signup(server.url, user, PASSWORD);
  else await f.login(server.url, user, PASSWORD, 'test device');
  return f;
}
