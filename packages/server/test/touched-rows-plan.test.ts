import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferryTables, withTextConflicts } from '@ferry/protocol';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrations.ts';
import { tableSql } from '../src/sync/rows.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

/**
 * The push's read of the rows it touches looks each id up by key, whatever the planner thinks of
 * the table: with `id = ANY($2)` and 500 ids, a freshly filled (never analyzed) table's custom plan
 * walked every row of the user instead (3.5-7.6 ms for a 20 000-note account, growing with it).
 */
let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  db = openDatabase(t.url, 1);
  await migrate(db, withTextConflicts(ferryTables));
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows the plan read from `table` (returned or filtered out), over all loops. */
function rowsRead(n: PlanNode, table: string): number {
  const own =
    n['Relation Name'] === table
      ? ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0)) * (n['Actual Loops'] ?? 1)
      : 0;
  return own + (n.Plans ?? []).reduce((a, c) => a + rowsRead(c, table), 0);
}

describe("a push's read of its touched rows", () => {
  it('reads only the rows it names, not the whole account', async () => {
    const user = randomUUID();
    await db.query(
      "INSERT INTO users (id, email, email_key, password_hash) VALUES ($1, 'a@x', 'a@x', 'x')",
      [user],
    );
    await db.query(
      `INSERT INTO notes (user_id, id, title, content, created_at, updated_at, position)
       SELECT $1, gen_random_uuid(), 't', 'c', '', '', g FROM generate_series(1, 5000) g`,
      [user],
    );
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const { select } = tableSql(ferryTables.find((x) => x.name === 'notes')!);
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_bitmapscan = off');
      const [r] = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${select}`,
        [user, ids],
      );
      expect(rowsRead(r!['QUERY PLAN'][0].Plan, 'notes')).toBeLessThanOrEqual(ids.length);
    });
  });
});
