import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  Device,
  newId,
  newNote,
  signup,
  startTestServer,
  type Res,
  type TestServer,
} from './helpers.ts';
import type { SyncResponse } from '@ferry/protocol';

/**
 * Pushes of one user that wait for the user's lock: what each read before it had the lock may
 * have changed by the time it has it (another push committed meanwhile), and nothing it decides
 * may rest on the stale read (docs/server.md, "Push").
 */
describe('pushes that wait for the user lock', () => {
  let s: TestServer;
  let db: pg.Client;
  beforeAll(async () => {
    s = await startTestServer();
    db = new pg.Client({ connectionString: s.dbUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await s?.close();
  });

  /** Until `n` other sessions wait for a lock. */
  async function waitingForLock(n: number): Promise<void> {
    for (let i = 0; ; i++) {
      // Inside a transaction the activity view is a snapshot taken once: take a new one.
      await db.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (rows[0]!.n >= n) return;
      if (i > 500) throw new Error('the pushes never waited for the lock');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Holds the user's row lock (as a push or a purge does) while `start` sends requests, until
   * `waiting` of them wait for it; then lets them all run and returns their responses.
   */
  async function behindTheLock(
    userId: string,
    waiting: number,
    start: () => Promise<Res<SyncResponse>>[],
  ): Promise<Res<SyncResponse>[]> {
    await db.query('BEGIN');
    await db.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
    const sent = start();
    try {
      await waitingForLock(waiting);
    } finally {
      await db.query('COMMIT');
    }
    return Promise.all(sent);
  }

  it('a retried request that waited behind its first attempt is a duplicate', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    // A client id the server knows already (its first use is read again: see claim.ts).
    expect((await a.sync()).status).toBe(200);
    const m = a.mutation('notes', newId(), 'upsert', newNote('once'));
    // The same request twice (a retry sent while the first was still in flight).
    const [r1, r2] = await behindTheLock(u.userId, 2, () => [a.sync([m]), a.sync([m])]);
    const statuses = [r1!.body.results[0]!.status, r2!.body.results[0]!.status].sort();
    expect(statuses).toEqual(['applied', 'duplicate']);
    const { rows } = await db.query<{ version: string }>(
      'SELECT version::text AS version FROM notes WHERE user_id = $1 AND id = $2',
      [u.userId, m.id],
    );
    expect(rows).toEqual([{ version: '1' }]);
  });

  it('two devices editing one note while waiting: both edits kept, versions in order', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const b = new Device(s.url, u.token);
    const id = newId();
    expect((await a.sync([a.mutation('notes', id, 'upsert', newNote('t0', 'c0'))])).status).toBe(
      200,
    );
    const ma = a.mutation('notes', id, 'upsert', { title: 'from a' }, 1);
    const mb = b.mutation('notes', id, 'upsert', { content: 'from b' }, 1);
    const [ra, rb] = await behindTheLock(u.userId, 2, () => [a.sync([ma]), b.sync([mb])]);
    const versions = [ra!.body.results[0], rb!.body.results[0]].map((r) =>
      r!.status === 'applied' ? r!.version : r!.status,
    );
    expect(versions.sort()).toEqual([2, 3]);
    const { rows } = await db.query<{ title: string; content: string; version: string }>(
      'SELECT title, content, version::text AS version FROM notes WHERE user_id = $1 AND id = $2',
      [u.userId, id],
    );
    expect(rows).toEqual([{ title: 'from a', content: 'from b', version: '3' }]);
    // Each push's rows got their own position, in commit order: 1 (the create), 2, 3.
    const reader = new Device(s.url, u.token);
    const page = await reader.sync();
    expect(page.body.position).toBe('3');
  });

  it('a note purged while a push of it waited is written again, not lost', async () => {
    const u = await signup(s.url);
    const a = new Device(s.url, u.token);
    const id = newId();
    await a.sync([a.mutation('notes', id, 'upsert', newNote('old'))]);
    const m = a.mutation('notes', id, 'upsert', newNote('new'), null);
    await db.query('BEGIN');
    await db.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [u.userId]);
    const sent = a.sync([m]);
    try {
      await waitingForLock(1);
      // What a purge does under the lock: the row goes, purged_position rises.
      await db.query('DELETE FROM notes WHERE user_id = $1 AND id = $2', [u.userId, id]);
      await db.query('UPDATE users SET purged_position = 1 WHERE id = $1', [u.userId]);
    } finally {
      await db.query('COMMIT');
    }
    const r = await sent;
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ status: 'applied', version: 1 });
    const { rows } = await db.query<{ title: string; version: string }>(
      'SELECT title, version::text AS version FROM notes WHERE user_id = $1 AND id = $2',
      [u.userId, id],
    );
    expect(rows).toEqual([{ title: 'new', version: '1' }]);
  });
});
