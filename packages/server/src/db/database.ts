import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * The one store interface the server uses. Both backends (a PostgreSQL server named by
 * `DATABASE_URL`, or the embedded PostgreSQL) speak the same SQL through `pg`.
 *
 * Contract: `transaction` runs `fn` on one connection inside BEGIN/COMMIT at READ COMMITTED; if
 * `fn` throws, everything it wrote is rolled back and the error is rethrown. Nothing is ever
 * partially committed.
 */
export interface Database {
  /** Runs one statement. Hot statements pass `prepare`: parsed (and planned) once per connection. */
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    prepare?: boolean,
  ): Promise<R[]>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Round trips to the database so far through the pool (BEGIN and COMMIT count), for metrics. */
  queries(): number;
  /** A dedicated connection for LISTEN (see `Listening`). */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onError: (err: Error) => void,
  ): Promise<Listening>;
  close(): Promise<void>;
}

/** A LISTEN connection. */
export interface Listening {
  /**
   * A round trip on the LISTEN connection. When it resolves, every notification committed before
   * it was sent has been handed to `onMessage` (PostgreSQL sends a session its pending
   * notifications before it answers a query), so it proves the connection is alive and current.
   */
  check(): Promise<void>;
  /** Closes the connection. */
  release(): Promise<void>;
}

/** Something that runs SQL: the pool or one transaction. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    prepare?: boolean,
  ): Promise<R[]>;
}

const names = new Map<string, string>();
// A prepared statement's name must stand for one text on a connection: name it by its hash.
function statement(
  text: string,
  params: readonly unknown[] | undefined,
  prepare: boolean | undefined,
): pg.QueryConfig {
  const values = (params ?? []) as unknown[];
  if (prepare !== true) return { text, values };
  return { name: statementName(text), text, values };
}

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `ferry_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** How to reach PostgreSQL besides the pool's URL. */
export interface DatabaseOptions {
  /**
   * `transaction`: the URL is a transaction-mode pooler (PgBouncer), where consecutive
   * transactions of one client may run on different server connections, so nothing may outlive a
   * transaction: statements are never prepared by name (PgBouncer 1.18, Debian 12's, cannot carry
   * them; 1.21+ can with max_prepared_statements) and no startup `options` are sent (PgBouncer
   * refuses or ignores them: the pooler sets `enable_bitmapscan = off` itself, see docs/scaling.md).
   */
  readonly pooler?: 'none' | 'transaction';
  /** A direct connection for LISTEN (a session); default: the pool's URL. */
  readonly listenUrl?: string | undefined;
}

/**
 * Every query here is a keyed lookup or a range in index order with a LIMIT. Before a table's
 * first ANALYZE the planner underestimates a user's rows and picks a bitmap scan plus a sort over
 * the whole range for the pull (O(n) per page, O(n²) for a first sync); without bitmap scans it
 * walks the (user_id, position) index and stops at the limit.
 */
export const SESSION_SETTINGS = '-c enable_bitmapscan=off';

/** Opens a pool on `url`. */
export function openDatabase(url: string, poolSize: number, opts: DatabaseOptions = {}): Database {
  const pooled = opts.pooler === 'transaction';
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    ...(pooled ? {} : { options: SESSION_SETTINGS }),
  });
  const toQuery = (
    sql: string,
    params: readonly unknown[] | undefined,
    prepare: boolean | undefined,
  ) => statement(sql, params, prepare === true && !pooled);
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => undefined);
  let sent = 0;
  return {
    async query<R extends object>(
      sql: string,
      params?: readonly unknown[],
      prepare?: boolean,
    ): Promise<R[]> {
      sent++;
      const r = await pool.query<R>(toQuery(sql, params, prepare));
      return r.rows;
    },
    queries: () => sent,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      // While checked out, a client whose connection is lost (PostgreSQL restarted or crashed)
      // emits 'error', which would crash the process with no listener; the transaction's next
      // query fails with the same error, and the client is discarded on release.
      const onLost = (): void => {
        broken = true;
      };
      client.on('error', onLost);
      try {
        sent++;
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<R extends object>(
            sql: string,
            params?: readonly unknown[],
            prepare?: boolean,
          ): Promise<R[]> {
            sent++;
            const r = await client.query<R>(toQuery(sql, params, prepare));
            return r.rows;
          },
        };
        const out = await fn(tx);
        sent++;
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          sent++;
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.off('error', onLost);
        client.release(broken);
      }
    },
    async listen(channel, onMessage, onError) {
      const client = new pg.Client({
        connectionString: opts.listenUrl ?? url,
        connectionTimeoutMillis: 10_000,
      });
      client.on('notification', (n) => {
        if (n.channel === channel && n.payload !== undefined) onMessage(n.payload);
      });
      client.on('error', onError);
      const release = async (): Promise<void> => {
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        await client.end();
      };
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (err) {
        await release().catch(() => undefined);
        throw err;
      }
      return {
        release,
        async check() {
          await client.query('SELECT 1');
        },
      };
    },
    async close() {
      await pool.end();
    },
  };
}
