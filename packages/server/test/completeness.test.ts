/**
 * Cursor completeness: with many devices of one user pushing at once while another device pulls
 * in a loop, the pulling device ends with exactly the server's rows. The same checker, run on a
 * naive `updated_at > last_sync` pull over the same database, finds rows it skipped for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { realPostgres } from './backends.ts';
import {
  Device,
  newId,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';

const COMMITS = Number(process.env.FERRY_COMPLETENESS_COMMITS ?? 5000);
const PUSHERS = 8;

/** The rows a puller ended with that differ from the server's: missing, or at an older version. */
function checkComplete(
  local: ReadonlyMap<string, number>,
  truth: ReadonlyMap<string, number>,
): string[] {
  const bad: string[] = [];
  for (const [id, version] of truth) if (local.get(id) !== version) bad.push(id);
  return bad;
}

/** The protocol's puller: `/v1/sync` with the server's cursor. */
class CursorPuller {
  readonly rows = new Map<string, number>();
  private readonly device: Device;
  constructor(url: string, token: string) {
    this.device = new Device(url, token);
  }
  async pullOnce(): Promise<boolean> {
    const before = BigInt(this.device.cursor);
    const r = await this.device.sync([], { pullLimit: 100 });
    expect(r.status).toBe(200);
    for (const c of r.body.changes) {
      expect(BigInt(c.seq)).toBeGreaterThan(before);
      this.rows.set(c.row.id, c.row.version);
    }
    return r.body.hasMore;
  }
  async drain(): Promise<void> {
    while (await this.pullOnce());
  }
}

/** The seed design's puller: rows whose client-stamped `updated_at` is after the last one seen. */
class NaivePuller {
  readonly rows = new Map<string, number>();
  private lastSync = '';
  constructor(
    private readonly db: pg.Client,
    private readonly userId: string,
  ) {}
  async pullOnce(): Promise<boolean> {
    const r = await this.db.query<{ id: string; version: string; updated_at: string }>(
      'SELECT id::text, version, updated_at FROM notes WHERE user_id = $1 AND updated_at > $2 ORDER BY updated_at LIMIT 100',
      [this.userId, this.lastSync],
    );
    for (const row of r.rows) {
      this.rows.set(row.id, Number(row.version));
      this.lastSync = row.updated_at;
    }
    return r.rows.length === 100;
  }
  async drain(): Promise<void> {
    while (await this.pullOnce());
  }
}

describe('cursor completeness', () => {
  let s: TestServer;
  let u: TestUser;
  let db: pg.Client;
  beforeAll(async () => {
    // Durability is not under test here, and 5 000 fsyncs would dominate the run: commit
    // asynchronously (visibility and commit order are unchanged by this setting).
    s = await startTestServer({}, async () => {
      const tdb = await realPostgres.makeDb();
      const c = new pg.Client({ connectionString: tdb.url });
      await c.connect();
      await c.query(
        `ALTER DATABASE "${new URL(tdb.url).pathname.slice(1)}" SET synchronous_commit = off`,
      );
      await c.end();
      return tdb;
    });
    u = await signup(s.url);
    db = new pg.Client({ connectionString: s.dbUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await s.close();
  });

  it(`${PUSHERS} concurrent pushers, ${COMMITS} commits: the cursor puller misses nothing, the naive one does`, async () => {
    const cursor = new CursorPuller(s.url, u.token);
    const naive = new NaivePuller(db, u.userId);
    let done = false;
    let commits = 0;
    const pushers = Array.from({ length: PUSHERS }, async (_, p) => {
      const d = new Device(s.url, u.token);
      const mine: string[] = [];
      for (let i = 0; i < COMMITS / PUSHERS; i++) {
        // Mostly new rows, some edits of earlier ones; every request is its own commit.
        const now = new Date().toISOString();
        const edit = mine.length > 0 && i % 5 === 4;
        const id = edit ? mine[(i * 7) % mine.length]! : newId();
        const fields = edit
          ? { content: `edit ${p}/${i}`, updated_at: now }
          : { title: `p${p} n${i}`, content: '', created_at: now, updated_at: now };
        const r = await d.sync([d.mutation('notes', id, 'upsert', fields)], { pullLimit: 1 });
        expect(r.status).toBe(200);
        expect(r.body.results[0]!.status).toBe('applied');
        if (!edit) mine.push(id);
        commits++;
      }
    });
    const pulling = (async () => {
      while (!done) {
        await cursor.pullOnce();
        await naive.pullOnce();
      }
    })();
    await Promise.all(pushers);
    expect(commits).toBe(COMMITS);

    // A device that was offline: its edit was stamped before another device's, and arrives after
    // the naive puller has seen that later stamp. Commit order differs from timestamp order.
    const offline = new Device(s.url, u.token);
    const online = new Device(s.url, u.token);
    const lateId = newId();
    const early = new Date(Date.now() - 1000).toISOString();
    const delayed = offline.mutation('notes', lateId, 'upsert', {
      title: 'written offline',
      content: '',
      created_at: early,
      updated_at: early,
    });
    const now = new Date().toISOString();
    await online.sync([
      online.mutation('notes', newId(), 'upsert', {
        title: 'online',
        content: '',
        created_at: now,
        updated_at: now,
      }),
    ]);
    await naive.drain();
    await cursor.drain();
    await offline.sync([delayed]);

    done = true;
    await pulling;
    await cursor.drain();
    await naive.drain();

    const truthRows = await db.query<{ id: string; version: string }>(
      'SELECT id::text, version FROM notes WHERE user_id = $1',
      [u.userId],
    );
    const truth = new Map(truthRows.rows.map((r) => [r.id, Number(r.version)]));
    expect(truth.size).toBeGreaterThan(COMMITS * 0.75);

    expect(checkComplete(cursor.rows, truth)).toEqual([]);
    const skipped = checkComplete(naive.rows, truth);
    console.log(
      `naive updated_at puller: ${skipped.length} of ${truth.size} rows skipped or stale`,
    );
    expect(skipped).toContain(lateId);
  }, 300_000);
});
