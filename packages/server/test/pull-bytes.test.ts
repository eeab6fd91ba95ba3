import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FieldType,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  notes,
  type Mutation,
  type SyncResponse,
  type TableDecl,
} from '@ferry/protocol';
import pg from 'pg';
import { tableSql } from '../src/sync/rows.ts';
import { Device, newId, newNote, signup, startTestServer, type TestServer } from './helpers.ts';

const MiB = 1024 * 1024;
/** The default page budget (FERRY_PULL_PAGE_BYTES). */
const BUDGET = 4 * MiB;

/** A note's content of exactly 1 MiB (the field limit) that starts with its number. */
const bigContent = (i: number): string => {
  const head = `note ${i} `;
  return head + 'x'.repeat(MiB - head.length);
};

/** One pull-only request; the raw body's size as well as the parsed page. */
async function pullRaw(
  url: string,
  token: string,
  clientId: string,
  cursor: string,
  pullLimit: number,
): Promise<{ status: number; bytes: number; body: SyncResponse; text: string }> {
  const r = await fetch(`${url}/v1/sync`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'accept-encoding': 'identity',
    },
    body: JSON.stringify({
      protocol: PROTOCOL_VERSION,
      clientId,
      schemaVersion: FERRY_SCHEMA_VERSION,
      cursor,
      mutations: [],
      pullLimit,
    }),
  });
  const text = await r.text();
  let body = undefined as unknown as SyncResponse;
  try {
    body = JSON.parse(text) as SyncResponse;
  } catch {
    // reported through status/text
  }
  return { status: r.status, bytes: Buffer.byteLength(text), body, text: text.slice(0, 300) };
}

/** Pushes `mutations` a few at a time (each request under the 8 MiB body limit). */
async function pushAll(d: Device, mutations: Mutation[], perRequest: number): Promise<void> {
  for (let i = 0; i < mutations.length; i += perRequest) {
    const r = await d.sync(mutations.slice(i, i + perRequest));
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.results.every((x) => x.status === 'applied')).toBe(true);
    // Pages the push answer left behind are not this device's concern here.
    while (r.body.hasMore) {
      const more = await d.sync();
      expect(more.status).toBe(200);
      if (!more.body.hasMore) break;
    }
  }
}

/** UTF-8 size of the JSON of every change but the last: what the budget bounds. */
const bytesBeforeLast = (changes: SyncResponse['changes']): number =>
  changes.slice(0, -1).reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0);

/** A second declared table, so a page's budget is seen to run across tables. */
const memos: TableDecl = {
  name: 'memos',
  policy: 'lww',
  searchFields: ['body'],
  deletedField: 'deleted_at',
  fields: {
    body: { type: FieldType.text, writtenBy: 'client', requiredOnCreate: true, maxBytes: MiB },
    deleted_at: { type: FieldType.timestamp, writtenBy: 'client', nullable: true },
    version: { type: FieldType.integer, writtenBy: 'server' },
  },
};

describe('pull pages are bounded in bytes', () => {
  let s: TestServer;
  let small: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ tables: [notes, memos] });
    small = await startTestServer({ pullPageBytes: 16 * 1024 });
  });
  afterAll(async () => {
    await s.close();
    await small.close();
  });

  it('downloads an account of 95 notes of 1 MiB from "0" with pullLimit 1000, in pages of at most the budget plus one row', async () => {
    const u = await signup(s.url);
    const writer = new Device(s.url, u.token);
    const ids = Array.from({ length: 95 }, () => newId());
    // Two memos of 1 MiB among the notes: the budget counts every table's rows.
    const muts = ids.map((id, i) =>
      i === 10 || i === 50
        ? writer.mutation('memos', id, 'upsert', { body: bigContent(i) })
        : writer.mutation('notes', id, 'upsert', newNote(`n${i}`, bigContent(i))),
    );
    await pushAll(writer, muts, 6);

    const reader = new Device(s.url, u.token);
    const seen = new Map<string, string>();
    let cursor = '0';
    const sizes: number[] = [];
    for (let page = 0; page < 200; page++) {
      const r = await pullRaw(s.url, u.token, reader.clientId, cursor, 1000);
      expect(r.status, r.text).toBe(200);
      const { changes } = r.body;
      expect(changes.length).toBeGreaterThan(0);
      sizes.push(r.bytes);
      // The rows before the last fit in the budget; the whole body is at most that plus one row.
      expect(bytesBeforeLast(changes)).toBeLessThan(BUDGET);
      expect(r.bytes).toBeLessThan(BUDGET + MiB + 16 * 1024);
      for (const c of changes) {
        expect(seen.has(c.row.id)).toBe(false);
        seen.set(c.row.id, String(c.row.content ?? c.row.body));
      }
      expect(r.body.cursor).toBe(changes.at(-1)!.seq);
      cursor = r.body.cursor;
      if (!r.body.hasMore) break;
    }
    console.log(`95 × 1 MiB from "0": ${sizes.length} pages of ${sizes.join(', ')} bytes`);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil((95 * MiB) / (BUDGET + MiB)));
    expect(seen.size).toBe(95);
    ids.forEach((id, i) => expect(seen.get(id)).toBe(bigContent(i)));
  });

  it('cuts the rows a push just wrote at the budget and says there is more', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    // The cursor is the user's position ("0"): the answer is the pushed rows, without a query.
    const ids = Array.from({ length: 6 }, () => newId());
    const r = await d.sync(
      ids.map((id, i) => d.mutation('notes', id, 'upsert', newNote(`n${i}`, bigContent(i)))),
    );
    expect(r.status).toBe(200);
    expect(r.body.results.map((x) => x.status)).toEqual(Array(6).fill('applied'));
    expect(r.body.hasMore).toBe(true);
    expect(r.body.changes.length).toBeLessThan(6);
    expect(bytesBeforeLast(r.body.changes)).toBeLessThan(BUDGET);
    const got = r.body.changes.map((c) => c.row.id);
    for (let i = 0; i < 10 && got.length < 6; i++) {
      const more = await d.sync();
      expect(more.status).toBe(200);
      got.push(...more.body.changes.map((c) => c.row.id));
      if (!more.body.hasMore) break;
    }
    expect(got).toEqual(ids);
  });

  it('honours a configured budget for small rows, and a row larger than the budget still comes alone', async () => {
    const u = await signup(small.url);
    const writer = new Device(small.url, u.token);
    const ids = Array.from({ length: 60 }, () => newId());
    const big = newId();
    await pushAll(
      writer,
      [
        writer.mutation('notes', big, 'upsert', newNote('big', bigContent(0))),
        ...ids.map((id, i) =>
          writer.mutation('notes', id, 'upsert', newNote(`n${i}`, 'y'.repeat(1000))),
        ),
      ],
      100,
    );
    const reader = new Device(small.url, u.token);
    const pages: string[][] = [];
    for (let page = 0; page < 100; page++) {
      const r = await reader.sync([], { pullLimit: 1000 });
      expect(r.status).toBe(200);
      expect(r.body.changes.length).toBeGreaterThan(0);
      expect(bytesBeforeLast(r.body.changes)).toBeLessThan(16 * 1024);
      pages.push(r.body.changes.map((c) => c.row.id));
      if (!r.body.hasMore) break;
    }
    // The 1 MiB row alone on the first page, then ~1.2 KB rows, about 14 a page.
    expect(pages[0]).toEqual([big]);
    expect(pages.length).toBeGreaterThanOrEqual(5);
    expect(pages.flat()).toEqual([big, ...ids]);
  });

  it('sizes rows in SQL by a lower bound of their JSON, within a few bytes for plain text', async () => {
    const u = await signup(s.url);
    const d = new Device(s.url, u.token);
    const contents = [
      '',
      'plain',
      'é日本語 😀 text',
      'quotes " and \\ and \n lines',
      '\u0001\u001f',
    ];
    const ids = contents.map(() => newId());
    const r = await d.sync(
      ids.map((id, i) => d.mutation('notes', id, 'upsert', newNote(`t${i}`, contents[i]))),
    );
    expect(r.body.results.every((x) => x.status === 'applied')).toBe(true);
    await d.sync([d.mutation('notes', ids[0]!, 'delete', {})]);
    const rows = new Map<string, number>();
    for (const c of (await new Device(s.url, u.token).sync([], { pullLimit: 100 })).body.changes)
      rows.set(c.seq, Buffer.byteLength(JSON.stringify(c.row)));
    const client = new pg.Client({ connectionString: s.dbUrl });
    await client.connect();
    try {
      const est = await client.query<{ position: string; est: string }>(tableSql(notes).pullSizes, [
        u.userId,
        '0',
        100,
      ]);
      expect(est.rows.length).toBe(contents.length);
      // Positions: 1-5 the notes in order, then 6 for the first one again (deleted).
      for (const e of est.rows) {
        const json = rows.get(e.position)!;
        expect(Number(e.est), `position ${e.position}`).toBeLessThanOrEqual(json);
        // Text that JSON writes as it is: only the version's digits and a null's letters are
        // not counted. Escapes are (positions 4 and 5).
        if (['2', '3', '6'].includes(e.position)) expect(json - Number(e.est)).toBeLessThan(16);
        else expect(json - Number(e.est)).toBeGreaterThan(2);
      }
    } finally {
      await client.end();
    }
  });

  it('still fills a page to pullLimit when the rows are small', async () => {
    const u = await signup(s.url);
    const writer = new Device(s.url, u.token);
    const ids = Array.from({ length: 30 }, () => newId());
    await pushAll(
      writer,
      ids.map((id) => writer.mutation('notes', id, 'upsert', newNote())),
      30,
    );
    const reader = new Device(s.url, u.token);
    const r = await reader.sync([], { pullLimit: 30 });
    expect(r.body.changes.map((c) => c.row.id)).toEqual(ids);
    expect(r.body.hasMore).toBe(false);
    const r2 = await new Device(s.url, u.token).sync([], { pullLimit: 29 });
    expect(r2.body.changes).toHaveLength(29);
    expect(r2.body.hasMore).toBe(true);
  });
});
