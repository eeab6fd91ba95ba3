import { createServer, loadConfig } from '@ferry/server';
import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';
import { ferrySchema } from '@ferry/protocol';

/** A real Ferry server on loopback over a throwaway PostgreSQL database. */
export interface TestServer {
  readonly db: TestDatabase;
  /** The current server's URL (changes on restart unless a port is pinned). */
  url: string;
  /** Stops the HTTP server (the database stays). */
  stop(): Promise<void>;
  /** Starts it again on the same database (and the same port, so clients need not be told). */
  restart(): Promise<void>;
  /** Stops the server and drops the database. */
  close(): Promise<void>;
}

/**
 * Starts a server on a fresh database; `env` adds server settings (e.g. FERRY_MAX_CLOCK_DRIFT_MS);
 * `adminUrl` names the PostgreSQL to create the database on (default: DATABASE_URL).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  adminUrl?: string,
): Promise<TestServer> {
  const db = await createTestDatabase(adminUrl);
  let port = '0';
  let running: { url: string; close(): Promise<void> } | null = null;
  const start = async (): Promise<void> => {
    running = await createServer({
      ...ferrySchema,
      ...loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env }, [
        '--port',
        port,
        '--host',
        '127.0.0.1',
      ]),
    });
    port = new URL(running.url).port;
    ts.url = running.url;
  };
  const stop = async (): Promise<void> => {
    const r = running;
    running = null;
    if (r) await r.close();
  };
  const ts: TestServer = {
    db,
    url: '',
    stop,
    restart: start,
    close: async () => {
      await stop();
      await db.drop();
    },
  };
  await start();
  return ts;
}
