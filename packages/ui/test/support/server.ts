/**
 * The real server on a throwaway PostgreSQL database, and engines on real SQLite signed in to
 * it: the conflict and history states are tested against what the server really sends.
 */
import { afterAll, beforeAll } from 'vitest';
import { fetchHttp, memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { createServer } from '@ferry/server';
import { createTestDatabase } from '@ferry/server/testing';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const db = await createTestDatabase();
  const running = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: db.url,
  });
  return {
    url: running.url,
    async close() {
      await running.close();
      await db.drop();
    },
  };
}

/** Starts the real server before the file's tests and drops it after them; call at top level. */
export function useTestServer(): { url(): string } {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    url() {
      if (!server) throw new Error('the test server is not started yet');
      return server.url;
    },
  };
}

const PASSWORD = 'correct horse battery';
let n = 0;
export const email = (): string =>
  `desk${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** An engine on an in-memory database, signed in as `user` (signed up when `signup`). */
export async function device(
  url: string,
  user: string,
  signup = false,
): Promise<Ferry<typeof ferryTables>> {
  const f = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(),
    http: fetchHttp,
  });
  if (signup) await f.signup(url, user, PASSWORD);
  else await f.login(url, user, PASSWORD, 'test device');
  return f;
}

/** Two devices of one new user: `a` signed it up, `b` logged in. */
export async function twoDevices(url: string): Promise<{
  a: Ferry<typeof ferryTables>;
  b: Ferry<typeof ferryTables>;
  close(): Promise<void>;
}> {
  const user = email();
  const a = await device(url, user, true);
  const b = await device(url, user);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
    },
  };
}
