import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferryTables, withTextConflicts, type Mutation } from '@ferry/protocol';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrations.ts';
import { mutationDigest, reusedSeqs } from '../src/sync/lineage.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

// Migration 8: the digests of acknowledged mutations, one row per seq before, one row per push
// after. A retry sent across the upgrade is still a duplicate, a reused seq still detected.

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

const user = '00000000-0000-4000-8000-000000000001';
const client = '00000000-0000-4000-8000-0000000000c1';
const note = (seq: number, title: string): Mutation => ({
  seq,
  table: 'notes',
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  op: 'upsert',
  fields: { title },
  hlc: `0017957170527${String(seq).padStart(2, '0')}-00000-8f73fb91733d345d`,
  baseVersion: null,
});

describe('migration 8: digest runs', () => {
  it('keeps the digests kept per seq: a retry is a duplicate, a different mutation is reused', async () => {
    await migrate(db, withTextConflicts(ferryTables), 7);
    await db.query(
      "INSERT INTO users (id, email, email_key, password_hash) VALUES ($1, 'a@x', 'a@x', 'x')",
      [user],
    );
    await db.query(
      'INSERT INTO clients (client_id, user_id, last_mutation_seq, confirmed_seq) VALUES ($1, $2, 5, 2)',
      [client, user],
    );
    // Seqs 3 to 5 acknowledged, not yet confirmed.
    for (const seq of [3, 4, 5])
      await db.query('INSERT INTO client_digests (client_id, seq, digest) VALUES ($1, $2, $3)', [
        client,
        seq,
        mutationDigest(note(seq, `n${seq}`)),
      ]);
    await migrate(db, withTextConflicts(ferryTables));
    const lineage = { lastSeq: 5, confirmedSeq: 2 };
    const retried = [note(3, 'n3'), note(4, 'n4'), note(5, 'n5')];
    expect(await reusedSeqs(db, client, lineage, retried)).toEqual(new Set());
    const cloned = [note(3, 'n3'), note(4, 'clone'), note(5, 'n5')];
    expect(await reusedSeqs(db, client, lineage, cloned)).toEqual(new Set([4]));
    expect(await reusedSeqs(db, client, lineage, [note(2, 'n2')])).toEqual(new Set([2]));
    const [old] = await db.query<{ t: string | null }>(
      "SELECT to_regclass('client_digests')::text AS t",
    );
    expect(old!.t).toBeNull();
  });

  it("waits for a push of the previous release in flight, and keeps that push's digest", async () => {
    const other = await createTestDatabase();
    const odb = openDatabase(other.url, 2);
    const oldProcess = new pg.Client({ connectionString: other.url });
    try {
      await migrate(odb, withTextConflicts(ferryTables), 7);
      await odb.query(
        "INSERT INTO users (id, email, email_key, password_hash) VALUES ($1, 'a@x', 'a@x', 'x')",
        [user],
      );
      await odb.query(
        'INSERT INTO clients (client_id, user_id, last_mutation_seq, confirmed_seq) VALUES ($1, $2, 4, 2)',
        [client, user],
      );
      await odb.query('INSERT INTO client_digests (client_id, seq, digest) VALUES ($1, 3, $2)', [
        client,
        mutationDigest(note(3, 'n3')),
      ]);
      // A server of the previous release is committing seq 4's push while this one migrates.
      await oldProcess.connect();
      await oldProcess.query('BEGIN');
      await oldProcess.query(
        'INSERT INTO client_digests (client_id, seq, digest) VALUES ($1, 4, $2)',
        [client, mutationDigest(note(4, 'n4'))],
      );
      const migrating = migrate(odb, withTextConflicts(ferryTables));
      await new Promise((r) => setTimeout(r, 500));
      await oldProcess.query('COMMIT');
      await migrating;
      const lineage = { lastSeq: 4, confirmedSeq: 2 };
      expect(await reusedSeqs(odb, client, lineage, [note(3, 'n3'), note(4, 'n4')])).toEqual(
        new Set(),
      );
    } finally {
      await oldProcess.end();
      await odb.close();
      await other.drop();
    }
  });
});

describe('mutationDigest', () => {
  it('is the first 16 bytes of SHA-256 of the canonical JSON (kept digests compare across versions)', () => {
    const m: Mutation = {
      ...note(7, 'ünï "q" \\ 😀'),
      fields: { title: 'b', content: 'a', nested: { z: 1, a: [{ y: 2, b: null }] } },
    };
    const canonical =
      '["notes","00000000-0000-4000-8000-000000000007","upsert",' +
      '{"content":"a","nested":{"a":[{"b":null,"y":2}],"z":1},"title":"b"},' +
      '"001795717052707-00000-8f73fb91733d345d",null]';
    const expected = createHash('sha256').update(canonical).digest().subarray(0, 16);
    expect(mutationDigest(m).equals(expected)).toBe(true);
  });
});
