import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPACT_VERSION,
  Limits,
  SentValues,
  decodeCompact,
  ferryTables,
  withTextConflicts,
  type CompactSyncResponse,
  type Mutation,
} from '@ferry/protocol';
import { openDatabase } from '../src/db/database.ts';
import {
  CompactAcks,
  compactGroupsBody,
  compactPageQuery,
  compactPullQuery,
  compactResponseBody,
  compactRow,
  pullCompact,
} from '../src/sync/encode-page.ts';
import { pull } from '../src/sync/pull.ts';
import { loadRowsAt, tableSql } from '../src/sync/rows.ts';
import type { WrittenRow } from '../src/sync/push.ts';
import {
  Device,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from './helpers.ts';

/** Pages: the `pageLimit` extension, and compact pages against v1 pages of the same account. */
describe('pages', () => {
  let s: TestServer;
  let u: TestUser;
  const NOTES = 1300;

  beforeAll(async () => {
    s = await startTestServer();
    u = await signup(s.url);
    const d = new Device(s.url, u.token);
    for (let done = 0; done < NOTES; done += Limits.maxMutationsPerRequest) {
      const n = Math.min(Limits.maxMutationsPerRequest, NOTES - done);
      const muts = Array.from({ length: n }, (_, i) =>
        d.mutation('notes', newId(), 'upsert', newNote(`note ${done + i}`, 'ünïcödé \u0001 text')),
      );
      expect((await d.sync(muts)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves pageLimit changes a page, past pullLimit, v1 and compact', async () => {
    const v1 = await new Device(s.url, u.token).sync([], { pullLimit: 1000, pageLimit: 1200 });
    expect(v1.status).toBe(200);
    expect(v1.body.changes).toHaveLength(1200);
    expect(v1.body.hasMore).toBe(true);
    const compact = await new Device(s.url, u.token).sync([], {
      pullLimit: 1000,
      pageLimit: 1200,
      compact: COMPACT_VERSION,
    });
    const page = compact.body as unknown as CompactSyncResponse;
    expect(page.tables?.[0]?.rows).toHaveLength(1200);
    expect(page.cursor).toBe(v1.body.cursor);
  });

  it('keeps pullLimit for a request without pageLimit, and refuses pageLimit over the maximum', async () => {
    const r = await new Device(s.url, u.token).sync([], { pullLimit: 1000 });
    expect(r.body.changes).toHaveLength(1000);
    const over = await new Device(s.url, u.token).sync([], {
      pageLimit: Limits.maxPageLimit + 1,
    });
    expect(over.status).toBe(400);
  });

  it('a compact pull page joined in PostgreSQL is the page read row by row, byte for byte', async () => {
    const small = await startTestServer({ pullPageBytes: 4096 });
    const db = openDatabase(small.dbUrl, 1);
    try {
      const su = await signup(small.url);
      const d = new Device(small.url, su.token);
      // Sizes around the budget, escapes and non-ASCII included: the cut is on the real JSON.
      const muts = Array.from({ length: 60 }, (_, i) =>
        d.mutation(
          'notes',
          newId(),
          'upsert',
          newNote(`n${i}`, '\u0001é'.repeat(i % 9 === 0 ? 3 : 40 + ((i * 53) % 120))),
        ),
      );
      expect((await d.sync(muts)).status).toBe(200);
      const tables = withTextConflicts(withTextConflicts(ferryTables)).map(tableSql);
      const byName = new Map(tables.map((t) => [t.table.name, t]));
      const head = { protocol: 1, results: [], lastMutationSeq: 0, serverHlc: 'h', position: '0' };
      const bounds = { limit: 6, bytes: 4096 };
      const [rowSql, pageSql] = [compactPullQuery(tables), compactPageQuery(tables)];
      let cursor = '0';
      const sizes: number[] = [];
      for (let page = 0; page < 100; page++) {
        const a = await pull(db, rowSql, su.userId, cursor, bounds, compactRow);
        const b = await pullCompact(db, pageSql, tables, su.userId, cursor, bounds);
        const p = { cursor: a.cursor, hasMore: a.hasMore };
        expect({ cursor: b.cursor, hasMore: b.hasMore, position: b.position }).toEqual({
          ...p,
          position: a.position,
        });
        expect(compactGroupsBody({ ...head, ...p }, b.groups, byName)).toBe(
          compactResponseBody({ ...head, ...p }, a.changes, null, byName),
        );
        sizes.push(a.changes.length);
        cursor = a.cursor;
        if (!a.hasMore) break;
      }
      // Both bounds cut pages here: some pages hold 6 rows (the count), some fewer (the bytes).
      expect(sizes.slice(0, -1).some((n) => n === 6) && sizes.slice(0, -1).some((n) => n < 6)).toBe(
        true,
      );
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(60);
    } finally {
      await db.close();
      await small.close();
    }
  });
  it("a compact push's page joined in PostgreSQL holds what the page read row by row holds: others' rows whole, its own acknowledged", async () => {
    const small = await startTestServer({ pullPageBytes: 4096 });
    const db = openDatabase(small.dbUrl, 1);
    try {
      const su = await signup(small.url);
      const [a, b] = [new Device(small.url, su.token), new Device(small.url, su.token)];
      const batch = (d: Device, from: number): Mutation[] =>
        Array.from({ length: 20 }, (_, i) =>
          d.mutation(
            'notes',
            newId(),
            'upsert',
            newNote(`n${from + i}`, '\u0001é'.repeat(i % 7 === 0 ? 3 : 40 + ((i * 53) % 120))),
          ),
        );
      // Positions 1–20 (a), 21–40 (b), 41–60 (a): the request is a's second push.
      const own = [batch(a, 0), batch(b, 20), batch(a, 40)];
      for (const [i, m] of own.entries())
        expect((await (i === 1 ? b : a).sync(m)).status).toBe(200);
      const sent = own[2]!;
      // One row no longer holds what was sent (as after a merge): it goes whole, not acknowledged.
      sent[5] = { ...sent[5]!, fields: { title: 'not what is stored', content: 'nor this' } };
      const tables = withTextConflicts(withTextConflicts(ferryTables)).map(tableSql);
      const byName = new Map(tables.map((t) => [t.table.name, t]));
      const notes = byName.get('notes')!;
      const stored = await loadRowsAt(
        db,
        notes,
        su.userId,
        sent.map((m) => m.id),
      );
      const written: WrittenRow[] = sent.map((m, i) => ({
        table: 'notes',
        row: stored.get(m.id)!.row,
        position: 41n + BigInt(i),
      }));
      const acks = () => new CompactAcks(byName, written, new SentValues(sent));
      expect(acks().range()).toEqual({ after: 40n, upTo: 60n });
      const head = { protocol: 1, results: [], lastMutationSeq: 0, serverHlc: 'h', position: '0' };
      const bounds = { limit: 6, bytes: 4096 };
      const [rowSql, pageSql] = [compactPullQuery(tables), compactPageQuery(tables)];
      const bySeq = (body: string) => {
        const d = decodeCompact(JSON.parse(body) as CompactSyncResponse, sent);
        return d.changes.map((c) => c.row).sort((x, y) => (x.id < y.id ? -1 : 1));
      };
      let cursor = '0';
      const seen = { acked: 0, whole: 0, pages: 0 };
      for (let page = 0; page < 100; page++) {
        const x = await pull(db, rowSql, su.userId, cursor, bounds, compactRow);
        const y = await pullCompact(db, pageSql, tables, su.userId, cursor, bounds, acks().range());
        const p = { cursor: x.cursor, hasMore: x.hasMore };
        expect({ cursor: y.cursor, hasMore: y.hasMore }).toEqual(p);
        const rowByRow = compactResponseBody({ ...head, ...p }, x.changes, acks(), byName);
        const joined = compactGroupsBody(
          { ...head, ...p },
          y.groups,
          byName,
          acks().entries(y.acked, byName),
        );
        expect(bySeq(joined)).toEqual(bySeq(rowByRow));
        const group = (JSON.parse(joined) as CompactSyncResponse).tables?.[0];
        const mine = (JSON.parse(rowByRow) as CompactSyncResponse).tables?.[0];
        expect(group?.acks?.length ?? 0).toBe(mine?.acks?.length ?? 0);
        seen.acked += group?.acks?.length ?? 0;
        seen.whole += y.acked.length - (group?.acks?.length ?? 0);
        seen.pages++;
        cursor = x.cursor;
        if (!x.hasMore) break;
      }
      expect(seen).toMatchObject({ acked: 19, whole: 1 });
      expect(seen.pages).toBeGreaterThan(10);
    } finally {
      await db.close();
      await small.close();
    }
  });
});
