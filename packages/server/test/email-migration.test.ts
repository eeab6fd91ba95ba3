import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';
import { ferryTables, withTextConflicts } from '@ferry/protocol';

// Migration 3 on a database that already has users: every email gets its normal-form key, the key
// is unique, and two accounts whose emails only PostgreSQL's lower() told apart do not break it.

let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  db = openDatabase(t.url, 2);
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
});

describe('migration 3: email keys', () => {
  it('normalizes existing emails; an older account keeps a colliding key', async () => {
    await migrate(db, withTextConflicts(ferryTables), 2);
    const users: [string, string][] = [
      ['00000000-0000-4000-8000-000000000001', 'Mixed.Case@Example.com'],
      ['00000000-0000-4000-8000-000000000002', 'ａx@example.com'],
      ['00000000-0000-4000-8000-000000000003', 'ax@example.com'],
    ];
    for (const [i, [id, email]] of users.entries()) {
      await db.query(
        `INSERT INTO users (id, email, password_hash, created_at)
         VALUES ($1, $2, 'x', now() - $3 * interval '1 day')`,
        [id, email, 10 - i],
      );
    }
    await migrate(db, withTextConflicts(ferryTables));
    const rows = await db.query<{ id: string; email: string; email_key: string }>(
      'SELECT id::text AS id, email, email_key FROM users ORDER BY created_at',
    );
    expect(rows.map((r) => r.email)).toEqual(users.map((u) => u[1]));
    expect(rows[0]!.email_key).toBe('mixed.case@example.com');
    expect(rows[1]!.email_key).toBe('ax@example.com');
    expect(rows[2]!.email_key).toMatch(/^ax@example\.com .*00000000-0000-4000-8000-000000000003/);
    await expect(
      db.query(
        "INSERT INTO users (id, email, email_key, password_hash) VALUES (gen_random_uuid(), 'AX@example.com', 'ax@example.com', 'x')",
      ),
    ).rejects.toThrow(/unique/);
  });
});
