import type { Change, MutationResult, SyncResponse } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import type { TableSql } from './rows.ts';

/**
 * A change as it goes on the wire: its JSON text, made once. A pulled row's JSON is PostgreSQL's
 * (`row_to_json`), spliced into the response as it is: parsing it and writing it again cost about
 * half the server's CPU of a first sync.
 */
export interface WireChange {
  readonly table: string;
  readonly seq: string;
  /** As the response writes it: v1 `{"table":…,"seq":…,"row":{…}}`; compact, the row's array. */
  readonly json: string;
}

/** One page of changes after a cursor. */
export interface PullPage {
  readonly changes: readonly WireChange[];
  readonly cursor: string;
  readonly hasMore: boolean;
  /** The user's purged position, read in the same snapshot as the changes. */
  readonly purged: bigint;
  /** The user's latest change position, in that snapshot too (the `position` extension). */
  readonly position: string;
}

/** What bounds a page: at most `limit` changes, and `bytes` of them (see `pullQuery`). */
export interface PageBounds {
  readonly limit: number;
  readonly bytes: number;
}

/** A change's JSON; table names are identifiers and positions digits, so nothing needs escaping. */
export const changeJson = (table: string, seq: string, row: string): string =>
  `{"table":"${table}","seq":"${seq}","row":${row}}`;

/**
 * The response body: `head` as JSON with `changes` after its keys, as
 * `JSON.stringify({ ...head, changes })` would write it. Spreading `head` into a new object
 * first cost JSON.stringify several times as much (~4 µs, a few percent of an idle poll).
 */
export function syncResponseBody(
  head: Omit<SyncResponse, 'changes'> | string,
  changes: readonly WireChange[],
): string {
  const text = typeof head === 'string' ? head : JSON.stringify(head);
  return appendKey(text, `"changes":[${changes.map((c) => c.json).join(',')}]`);
}

/** A response's keys before its changes, as the sync route makes them, in this order. */
export interface ResponseHead {
  readonly protocol: number;
  readonly results: readonly MutationResult[];
  readonly lastMutationSeq: number;
  readonly cursor: string;
  readonly hasMore: boolean;
  readonly serverHlc: string;
  readonly position: string;
}

/** Printable ASCII without `"` and `\`: a string JSON writes as it is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * `JSON.stringify(head)`, written directly (an idle poll's answer is this and nothing else;
 * `JSON.stringify` of the object cost ~1–2 µs of its ~70).
 */
export function headJson(h: ResponseHead): string {
  const results = h.results.length === 0 ? '[]' : JSON.stringify(h.results);
  return (
    `{"protocol":${jsonNumber(h.protocol)},"results":${results},` +
    `"lastMutationSeq":${jsonNumber(h.lastMutationSeq)},"cursor":${jsonString(h.cursor)},` +
    `"hasMore":${h.hasMore},"serverHlc":${jsonString(h.serverHlc)},` +
    `"position":${jsonString(h.position)}}`
  );
}

/**
 * An object's JSON text with one more `"key":value` (JSON text) at its end, as if the key had
 * been the object's last property. The object must not have the key already.
 */
export function appendKey(objectJson: string, member: string): string {
  return objectJson === '{}' ? `{${member}}` : `${objectJson.slice(0, -1)},${member}}`;
}

/**
 * Builds the query that reads one page across every declared table, in position order, together
 * with the user's purged position (one statement, so one snapshot).
 *
 * The byte budget is applied twice. Here, on a lower bound of each row's JSON that reads no
 * value (the stored lengths of its text fields, from the tuple or TOAST headers): a running sum
 * over the first `limit + 1` candidates (`cut`) ends the range at the last row whose predecessors
 * are under the budget (`page_end`), and only rows in that range are read and turned into JSON.
 * Rows past it cannot be on the page, so a page never reads more than the budget plus one row of
 * stored text, whatever `limit` is. `pull` then applies the budget to the real JSON, which is
 * longer only by JSON's escapes (up to six bytes for a control character).
 *
 * Every step walks the `(user_id, position)` index of each table, and no step sorts or buffers the
 * rows' JSON. Parameters: $1 user, $2 cursor, $3 limit + 1, $4 limit, $5 byte budget.
 */
export function pullQuery(tables: readonly TableSql[]): string {
  const rows = tables.map((t) => `(${t.pullRows})`).join('\n        UNION ALL ');
  return `${pageEnd(tables)}
    SELECT u.purged_position::text AS purged, u.position::text AS user_position, e.found::int AS found,
           p.t, p.position::text AS position, p.row, octet_length(p.row) AS bytes
    FROM users u CROSS JOIN page_end e LEFT JOIN (${rows}) p ON true
    WHERE u.id = $1`;
}

/** The `WITH` of `pullQuery`: `page_end` holds the last position the page may reach, and `found`. */
export function pageEnd(tables: readonly TableSql[]): string {
  const sizes = tables.map((t) => `(${t.pullSizes})`).join('\n        UNION ALL ');
  return `WITH cand AS (
      SELECT position, est FROM (${sizes}) c ORDER BY position LIMIT $3
    ), cut AS (
      SELECT position, row_number() OVER w AS n, sum(est::float8) OVER w - est AS before
      FROM cand WINDOW w AS (ORDER BY position ROWS UNBOUNDED PRECEDING)
    ), page_end AS (
      SELECT max(position) FILTER (WHERE n <= $4 AND before < $5) AS last, count(*) AS found FROM cut
    )`;
}

/** Orders decimal positions (no leading zeros) without parsing them. */
const byPosition = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

interface PullRow {
  purged: string;
  user_position: string;
  found: number;
  t: string | null;
  position: string | null;
  row: string | null;
  bytes: number | null;
}

/**
 * The user's rows whose position is above `cursor`, each in its latest state: at most
 * `bounds.limit`, and rows only while the JSON of the rows before them is under `bounds.bytes`
 * (so at least one). `hasMore` is set when either bound left rows behind.
 */
export async function pull(
  db: Queryable,
  query: string,
  userId: string,
  cursor: string,
  bounds: PageBounds,
  /** How a row's JSON from the query goes into the response (compact pages take it as it is). */
  wrap: (table: string, seq: string, row: string) => string = changeJson,
): Promise<PullPage> {
  const rows = await db.query<PullRow>(
    query,
    [userId, cursor, bounds.limit + 1, bounds.limit, bounds.bytes],
    true,
  );
  const purged = BigInt(rows[0]?.purged ?? '0');
  // The statement has no ORDER BY (a sort of the rows' JSON could spill to disk): order here.
  const found = rows
    .filter((r) => r.t !== null)
    .sort((a, b) => byPosition(a.position!, b.position!));
  const changes: WireChange[] = [];
  let bytes = 0;
  for (const r of found) {
    if (bytes >= bounds.bytes) break;
    const json = wrap(r.t!, r.position!, r.row!);
    // UTF-8 bytes: the row's from PostgreSQL, the rest is ASCII. The comma after it counts too.
    bytes += r.bytes! + json.length - r.row!.length + 1;
    changes.push({ table: r.t!, seq: r.position!, json });
  }
  return {
    changes,
    cursor: changes.at(-1)?.seq ?? cursor,
    hasMore: (rows[0]?.found ?? 0) > changes.length,
    purged,
    position: rows[0]?.user_position ?? cursor,
  };
}

/**
 * The first changes of `changes` (in position order, starting right after the cursor) that fit
 * `bounds` by the same rule as `pullQuery`; `hasMore` when some were left out.
 */
export function cutPage(
  changes: readonly Change[],
  cursor: string,
  bounds: PageBounds,
): Omit<PullPage, 'purged' | 'position'> {
  const page: WireChange[] = [];
  let bytes = 0;
  for (const c of changes) {
    if (page.length >= bounds.limit || bytes >= bounds.bytes) break;
    const json = JSON.stringify(c);
    bytes += Buffer.byteLength(json) + 1;
    page.push({ table: c.table, seq: c.seq, json });
  }
  return {
    changes: page,
    cursor: page.at(-1)?.seq ?? cursor,
    hasMore: page.length < changes.length,
  };
}
