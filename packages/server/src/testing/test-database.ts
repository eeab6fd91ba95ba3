import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** A throwaway PostgreSQL database for one test. */
export interface TestDatabase {
  /** Connection string of the new database. */
  readonly url: string;
  /** Drops the database (terminating its connections). */
  drop(): Promise<void>;
}

/** The server that test databases are created on: `DATABASE_URL`, else local PostgreSQL. */
export function adminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** Creates an empty database with a random name on the admin server. */
export async function createTestDatabase(admin: string = adminUrl()): Promise<TestDatabase> {
  const name = `ferry_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
