import { postgresTableDdl, type TableDecl } from '@ferry/protocol';
import type { Database } from './database.ts';

/**
 * The schema's history. Append only: a released migration is never edited. Each runs once, in
 * its own transaction, recorded in `schema_migrations`.
 */
export const MIGRATIONS: readonly {
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
}[] = [
  {
    version: 1,
    name: 'users, tokens, clients, server_meta',
    sql: [
      `CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        -- The last position handed out in this user's change sequence; its row lock serializes
        -- the user's pushes so positions become visible in order.
        position bigint NOT NULL DEFAULT 0,
        -- Rows at or below this position may have been purged: older cursors must resync.
        purged_position bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      'CREATE UNIQUE INDEX users_email_lower ON users (lower(email))',
      `CREATE TABLE tokens (
        hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`,
      'CREATE INDEX tokens_user ON tokens (user_id)',
      `CREATE TABLE clients (
        client_id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        last_mutation_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      'CREATE TABLE server_meta (key text PRIMARY KEY, value text NOT NULL)',
      "INSERT INTO server_meta (key, value) VALUES ('server_id', gen_random_uuid()::text)",
    ],
  },
  {
    version: 2,
    name: 'client lineage: digests of acknowledged mutations not yet confirmed',
    sql: [
      // Every seq at or below confirmed_seq is known to be acknowledged to the client (it sent a
      // later seq first); the digests of the seqs above it tell a retry from a reused seq.
      'ALTER TABLE clients ADD COLUMN confirmed_seq bigint NOT NULL DEFAULT 0',
      'UPDATE clients SET confirmed_seq = last_mutation_seq',
      `CREATE TABLE client_digests (
        client_id uuid NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        digest bytea NOT NULL,
        PRIMARY KEY (client_id, seq)
      )`,
    ],
  },
];

// Any constant works; it only has to be the same in every server process.
const MIGRATION_LOCK = 0x66657272;

/**
 * Brings the database up to date: the versioned migrations, then each declared table's DDL
 * (idempotent). Concurrent start-ups are safe: they take turns under an advisory lock.
 */
export async function migrate(db: Database, tables: readonly TableDecl[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map(
        (r) => r.version,
      ),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const stmt of m.sql) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    for (const t of tables) for (const stmt of postgresTableDdl(t)) await tx.query(stmt);
  });
}

/** The id of this database's server, made by the first migration. */
export async function serverId(db: Database): Promise<string> {
  const rows = await db.query<{ value: string }>(
    "SELECT value FROM server_meta WHERE key = 'server_id'",
  );
  const id = rows[0]?.value;
  if (id === undefined) throw new Error('server_meta has no server_id');
  return id;
}
