import type { SchemaMigration, TableDecl } from '@ferry/protocol';
import { migrateAppTables } from './app-tables.ts';
import type { Database, Queryable } from './database.ts';
import { normalizeEmail } from '../auth/email.ts';

/** The server's own tables: an app may not declare a table by one of these names. */
export const SERVER_TABLES: readonly string[] = [
  'users',
  'tokens',
  'clients',
  'server_meta',
  'client_digests',
  'client_digest_runs',
  'login_throttle',
  'login_addresses',
  'revisions',
  'sent_texts',
  'schema_migrations',
];

/**
 * The schema's history. Append only: a released migration is never edited. Each runs once,
 * recorded in `schema_migrations`; `migrate` runs all those not yet applied, and then the app's
 * table DDL, in one transaction, so a start-up that fails leaves the schema as it was.
 */
export const MIGRATIONS: readonly {
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
  /** Runs after `sql`, in the same transaction, for a step SQL alone cannot do. */
  readonly run?: (tx: Queryable) => Promise<void>;
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
  {
    version: 3,
    name: 'one normal form per email; login throttle counters and known addresses',
    sql: [
      // The key every email is found and kept unique by (see auth/email.ts); `email` stays as
      // typed at signup, for display.
      'ALTER TABLE users ADD COLUMN email_key text',
      // Attempt counters, one fixed window each, shared by every server process. `key` is the
      // SHA-256 of the counter's name (kind, email key, address), so no email is kept here.
      `CREATE TABLE login_throttle (
        key bytea PRIMARY KEY,
        count integer NOT NULL,
        reset_at timestamptz NOT NULL
      )`,
      'CREATE INDEX login_throttle_reset ON login_throttle (reset_at)',
      // Addresses (an IPv4 address or an IPv6 /64) a user has signed in from.
      `CREATE TABLE login_addresses (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        address text NOT NULL,
        last_success_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, address)
      )`,
      'CREATE INDEX login_addresses_age ON login_addresses (last_success_at)',
    ],
    run: fillEmailKeys,
  },
  {
    version: 4,
    name: 'text merge: revisions of rows with text fields, and the texts clients sent',
    sql: [
      // Every accepted change of a row of a table with a text field (history, and merge bases):
      // the row's stored fields after the change, who made it and when.
      `CREATE TABLE revisions (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        table_name text NOT NULL,
        record_id uuid NOT NULL,
        version bigint NOT NULL,
        fields json NOT NULL,
        client_id uuid,
        seq bigint,
        hlc text NOT NULL,
        merged boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, table_name, record_id, version)
      )`,
      'CREATE INDEX revisions_age ON revisions (created_at)',
      // The text fields a client sent in a mutation, so its next edit (made on that text, maybe
      // before the acknowledgement) merges against it: `fields` maps each field it wrote to the
      // text sent, or to null when revision `version` holds exactly that text.
      `CREATE TABLE sent_texts (
        client_id uuid NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        table_name text NOT NULL,
        record_id uuid NOT NULL,
        version bigint,
        fields json,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, seq)
      )`,
      'CREATE INDEX sent_texts_age ON sent_texts (created_at)',
      // A client's latest text of one record (the base of a v1 edit with no baseVersion).
      'CREATE INDEX sent_texts_record ON sent_texts (client_id, table_name, record_id, seq)',
    ],
  },
  {
    version: 5,
    name: "users: the latest HLC stamp of the user's own mutations",
    sql: [
      // Served as the user's serverHlc, so each of the user's devices stamps after the user's
      // fastest clock within the drift limit, while other users never see that clock.
      "ALTER TABLE users ADD COLUMN max_hlc text NOT NULL DEFAULT ''",
    ],
  },
  {
    version: 6,
    name: 'tokens: notify every server process when a token is revoked, deleted or rewritten',
    sql: [
      // Server processes keep live tokens in memory (auth/token-cache.ts) and drop one when told
      // here, so a revocation takes effect everywhere however it is made: by the API, or by hand.
      // A use moving last_used_at later is the one change that notifies nothing (it only makes a
      // token live longer, and happens once a minute per token).
      `CREATE FUNCTION ferry_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         kind text := 'token:';
       BEGIN
         IF TG_OP = 'DELETE' THEN
           kind := 'revoke:';
         ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
           kind := 'revoke:';
         END IF;
         PERFORM pg_notify('ferry_poke', kind || OLD.user_id::text || ':' || encode(OLD.hash, 'hex'));
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER tokens_revoked AFTER DELETE ON tokens
       FOR EACH ROW EXECUTE FUNCTION ferry_token_changed()`,
      `CREATE TRIGGER tokens_changed AFTER UPDATE ON tokens FOR EACH ROW
       WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.created_at <> NEW.created_at
             OR NEW.last_used_at < OLD.last_used_at OR OLD.user_id <> NEW.user_id
             OR OLD.hash <> NEW.hash)
       EXECUTE FUNCTION ferry_token_changed()`,
    ],
  },
  {
    version: 7,
    name: 'clients: the device name of the login a client id syncs with',
    sql: [
      // Set from the token's device_name when a request claims the client id, and again when
      // a later login of the same database gives another name; null when none was given.
      'ALTER TABLE clients ADD COLUMN device_name text',
    ],
  },
  {
    version: 8,
    name: 'client lineage: the digests of one push in one row',
    sql: [
      // One row per push in place of one per mutation (a 500-mutation push wrote 500 rows, each
      // with its index entry and foreign-key check, and the next push deleted them again).
      // `digests` is the 16-byte digest of each seq of `seqs`, in that order.
      // First the lock: a server of the previous release may be committing a push's digests;
      // the copy below must wait for it and see them (at READ COMMITTED it would not, and the
      // DROP would then take them along). Those servers fail a push until they are replaced.
      'LOCK TABLE client_digests IN ACCESS EXCLUSIVE MODE',
      `CREATE TABLE client_digest_runs (
        client_id uuid NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        last_seq bigint NOT NULL,
        seqs bigint[] NOT NULL,
        digests bytea NOT NULL,
        PRIMARY KEY (client_id, last_seq)
      )`,
      `INSERT INTO client_digest_runs (client_id, last_seq, seqs, digests)
       SELECT client_id, max(seq), array_agg(seq ORDER BY seq), string_agg(digest, ''::bytea ORDER BY seq)
       FROM client_digests GROUP BY client_id`,
      'DROP TABLE client_digests',
    ],
  },
];

/**
 * Gives every existing user its email key, then makes the key unique in place of `lower(email)`.
 * Two accounts whose emails only `lower()` told apart (`ａx@` and `ax@`) would now collide: the
 * older keeps the key, a later one gets a key no login can produce (it has a space) and stays
 * reachable through its tokens. Find them with `SELECT * FROM users WHERE email_key LIKE '% %'`.
 */
async function fillEmailKeys(tx: Queryable): Promise<void> {
  const users = await tx.query<{ id: string; email: string }>(
    'SELECT id::text AS id, email FROM users ORDER BY created_at, id',
  );
  const seen = new Set<string>();
  const ids: string[] = [];
  const keys: string[] = [];
  for (const u of users) {
    let key = normalizeEmail(u.email);
    if (seen.has(key)) key = `${key} (duplicate of an older account; user ${u.id})`;
    seen.add(key);
    ids.push(u.id);
    keys.push(key);
  }
  for (let i = 0; i < ids.length; i += 1000) {
    await tx.query(
      `UPDATE users u SET email_key = k.key
       FROM unnest($1::uuid[], $2::text[]) AS k(id, key) WHERE u.id = k.id`,
      [ids.slice(i, i + 1000), keys.slice(i, i + 1000)],
    );
  }
  await tx.query('ALTER TABLE users ALTER COLUMN email_key SET NOT NULL');
  await tx.query('CREATE UNIQUE INDEX users_email_key ON users (email_key)');
  await tx.query('DROP INDEX users_email_lower');
}

// Any constant works; it only has to be the same in every server process.
const MIGRATION_LOCK = 0x66657272;

/**
 * Brings the database up to date: the versioned migrations, then the app's tables (created, or
 * evolved: see app-tables.ts). Concurrent start-ups are safe: they take turns under an advisory
 * lock.
 */
export async function migrate(
  db: Database,
  tables: readonly TableDecl[],
  /** Stop after this version (tests of a migration start from the schema before it). */
  upTo = Infinity,
  /** How stored fields or tables the declarations no longer have were dropped or renamed. */
  appMigrations: readonly SchemaMigration[] = [],
): Promise<void> {
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
      if (done.has(m.version) || m.version > upTo) continue;
      for (const stmt of m.sql) await tx.query(stmt);
      if (m.run) await m.run(tx);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    await migrateAppTables(tx, tables, appMigrations);
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
