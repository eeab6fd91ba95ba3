import {
  HlcClock,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  hlcNode,
  type Mutation,
  ferryTables,
  withTextConflicts,
} from '@ferry/protocol';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrations.ts';
import { push, type PushContext } from '../src/sync/push.ts';
import { tableSql } from '../src/sync/rows.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

// One push spends at most a budget of time merging text; past it, merges take the cheap path
// (the base counts as unknown: a conflict record, nothing lost), so no request holds the CPU.
let tdb: TestDatabase;
let db: Database;
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = openDatabase(tdb.url, 2);
  await migrate(db, withTextConflicts(ferryTables));
});
afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

async function scenario(mergeBudgetMs: number): Promise<{ content: unknown; conflicts: number }> {
  const userId = randomUUID();
  await db.query(
    "INSERT INTO users (id, email, email_key, password_hash) VALUES ($1, $2, $2, 'x')",
    [userId, `${userId}@example.com`],
  );
  const ctx: PushContext = {
    tables: new Map(withTextConflicts(ferryTables).map((t) => [t.name, tableSql(t)])),
    clock: new HlcClock(hlcNode('server')),
    maxClockDriftMs: 60_000,
    now: Date.now,
    mergeBudgetMs,
  };
  const clientId = randomUUID();
  const clock = new HlcClock(hlcNode(clientId));
  const id = randomUUID().replace(/^(.{14})./, '$17');
  const now = new Date().toISOString();
  let seq = 0;
  const m = (fields: Record<string, unknown>, baseVersion: number | null): Mutation => ({
    seq: ++seq,
    table: 'notes',
    id,
    op: 'upsert',
    fields,
    hlc: clock.now(),
    baseVersion,
  });
  const req = (mutations: Mutation[]) => ({
    protocol: PROTOCOL_VERSION,
    clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations,
  });
  await db.transaction((tx) =>
    push(
      tx,
      ctx,
      userId,
      req([m({ title: 't', content: 'a\nb\nc\nd\n', created_at: now, updated_at: now }, null)]),
    ),
  );
  await db.transaction((tx) => push(tx, ctx, userId, req([m({ content: 'a\nb\nc\nd!\n' }, 1)])));
  // Two edits of other lines, both made on version 1: each needs a real merge.
  const out = await db.transaction((tx) =>
    push(
      tx,
      ctx,
      userId,
      req([m({ content: 'a!\nb\nc\nd\n' }, 1), m({ content: 'a\nb\nc!\nd\n' }, 1)]),
    ),
  );
  expect(out.results.map((r) => r.status)).toEqual(['applied', 'applied']);
  const [row] = await db.query<{ content: string }>(
    'SELECT content FROM notes WHERE user_id = $1',
    [userId],
  );
  const [n] = await db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM text_conflicts WHERE user_id = $1',
    [userId],
  );
  return { content: row!.content, conflicts: Number(n!.n) };
}

describe('merge budget of one push', () => {
  it('within the budget both edits merge cleanly; past it the second one is a conflict, nothing lost', async () => {
    expect(await scenario(2000)).toEqual({ content: 'a!\nb\nc!\nd!\n', conflicts: 0 });
    const cheap = await scenario(0);
    expect(cheap.conflicts).toBe(1);
    expect(cheap.content).toContain('c!');
  });
});
