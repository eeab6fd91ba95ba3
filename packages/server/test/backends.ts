import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../src/testing/index.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import type { DatabaseFactory } from './helpers.ts';

/** A PostgreSQL backend the shared suites run against. */
export interface Backend {
  readonly name: string;
  /** A fresh, empty database on this backend. */
  readonly makeDb: DatabaseFactory;
}

/** The real PostgreSQL server at DATABASE_URL (default 127.0.0.1:5432). */
export const realPostgres: Backend = { name: 'postgres', makeDb: () => createTestDatabase() };

/** Starts one embedded PostgreSQL in a temp directory; its databases are made per test. */
export async function startEmbeddedBackend(): Promise<{ backend: Backend; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-embedded-'));
  const pg = await startEmbeddedPostgres(join(dir, 'data'), () => undefined);
  const admin = new URL(pg.url);
  admin.pathname = '/postgres';
  return {
    backend: { name: 'embedded', makeDb: () => createTestDatabase(admin.toString()) },
    async stop() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
