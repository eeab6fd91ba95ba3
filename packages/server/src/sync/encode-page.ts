import {
  MAX_ACK_FIELDS,
  COMPACT_VERSION,
  quoteIdent as ident,
  storedFields,
  type CompactSyncResponse,
  type SentValues,
  type TableDecl,
} from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import {
  appendKey,
  pageEnd,
  pullQuery,
  type PageBounds,
  type PullPage,
  type WireChange,
} from './pull.ts';
import type { WrittenRow } from './push.ts';
import type { TableSql } from './rows.ts';

/**
 * Compact pages (`compact: 1`, protocol/src/compact.ts): rows as arrays in one group per table,
 * and the rows a push wrote as acknowledgements that leave out what the client sent.
 */

const isText = (t: TableDecl, f: string): boolean =>
  t.fields[f]!.type !== 'integer' && t.fields[f]!.type !== 'uuid';

/**
 * The bytes of a row's array (`["id",version,…]`) that do not depend on its values, at least:
 * brackets, commas, a uuid's quotes and 36 characters, one digit per integer, the quotes of a
 * non-null text. Text values add their UTF-8 length, more when escaped.
 */
export function fixedArrayBytes(t: TableDecl): number {
  let n = 1 + 38 + 2; // `["…id…",` and one digit of the version
  for (const f of storedFields(t)) {
    const d = t.fields[f]!;
    const uuid = d.nullable === true ? 4 : 38; // `null` or `"…"`
    n += 1 + (d.type === 'uuid' ? uuid : d.type === 'integer' ? 1 : d.nullable === true ? 0 : 2);
  }
  return n + 1;
}

/** `pullQuery`'s fragments for compact rows: `json_build_array(id, version, …fields)`. */
function compactFragments(sql: TableSql): TableSql {
  const t = sql.table;
  const name = ident(t.name);
  const size = [
    String(fixedArrayBytes(t)),
    ...Object.keys(t.fields)
      .filter((f) => isText(t, f))
      .map((f) => `coalesce(octet_length(${ident(f)}), 0)`),
  ];
  const values = ['id', 'version', ...storedFields(t)].map((c) => `x.${ident(c)}`).join(', ');
  return {
    ...sql,
    pullSizes: `SELECT position, (${size.join(' + ')})::bigint AS est
    FROM ${name} WHERE user_id = $1 AND position > $2::bigint ORDER BY position LIMIT $3`,
    pullRows: `SELECT '${t.name}' AS t, x.position, json_build_array(${values})::text AS row
    FROM ${name} x
    WHERE x.user_id = $1 AND x.position > $2::bigint AND x.position <= (SELECT last FROM page_end)
    ORDER BY x.position`,
  };
}

/** The pull query for compact pages (same plan as `pullQuery`, rows as arrays). */
export function compactPullQuery(tables: readonly TableSql[]): string {
  return pullQuery(tables.map(compactFragments));
}

/**
 * A compact page made in PostgreSQL to the last byte: each table's rows come as one text, the
 * arrays joined by commas, so the server handles a few values per page instead of several per row
 * (read row by row, a page cost the server ~4–6 µs of Node CPU a row; joined, ~1–2 µs, for ~1 µs
 * more in PostgreSQL). Same bounds as `pullQuery`: the range `page_end` allows, then the budget on
 * the real JSON (`before`, the bytes of the rows before this one, each with its comma, as `pull`
 * counts them). The aggregates take the rows as the window hands them on, in position order (no
 * second sort); the order within a group means nothing to a client anyway, as a page is applied
 * whole.
 *
 * The rows the request itself wrote (positions in `($6, $7]`: a push's positions are one run)
 * count towards the budget whole, as on a page read row by row, but are left out of the groups:
 * their positions come back in `acked`, for the server to acknowledge them from what it wrote
 * (`CompactAcks.entries`). A request that wrote nothing passes an empty range. Parameters $1–$5
 * as `pullQuery`'s; one row back, `g0`… in the order of `tables`.
 */
export function compactPageQuery(tables: readonly TableSql[]): string {
  const parts = tables.map(compactFragments);
  const rows = parts.map((t) => `(${t.pullRows})`).join('\n        UNION ALL ');
  const mine = 'position > $6::bigint AND position <= $7::bigint';
  const groups = parts.map(
    (t, i) =>
      `string_agg(row, ',') FILTER (WHERE t = '${t.table.name}' AND NOT (${mine})) AS g${i}`,
  );
  return `${pageEnd(parts)}, sized AS (
      SELECT t, position, row,
             sum(octet_length(row) + 1) OVER (ORDER BY position ROWS UNBOUNDED PRECEDING)
               - octet_length(row) - 1 AS before
      FROM (${rows}) p
    ), kept AS (
      SELECT count(*) AS n, max(position) AS last,
             string_agg(position::text, ',') FILTER (WHERE ${mine}) AS acked,
             ${groups.join(',\n        ')}
      FROM sized WHERE before < $5
    )
    SELECT u.purged_position::text AS purged, u.position::text AS user_position, e.found::int AS found,
           k.n::int AS n, k.last::text AS last, k.acked, ${parts.map((_, i) => `k.g${i}`).join(', ')}
    FROM users u CROSS JOIN page_end e CROSS JOIN kept k
    WHERE u.id = $1`;
}

/** A page read by `compactPageQuery`: each table's rows as one text (absent when it has none). */
export interface CompactPage extends Omit<PullPage, 'changes'> {
  readonly groups: ReadonlyMap<string, string>;
  /** The positions on the page that the request wrote (see `compactPageQuery`). */
  readonly acked: readonly string[];
}

interface GroupedRow {
  purged: string;
  user_position: string;
  found: number;
  n: number;
  last: string | null;
  /** Comma-separated (an array would be parsed element by element in JavaScript). */
  acked: string | null;
  [group: `g${number}`]: string | null;
}

/** Positions `(after, upTo]`: the run a push wrote. */
export interface WrittenRange {
  readonly after: bigint;
  readonly upTo: bigint;
}

/** Reads one compact page with `compactPageQuery(tables)` (see there). */
export async function pullCompact(
  db: Queryable,
  query: string,
  tables: readonly TableSql[],
  userId: string,
  cursor: string,
  bounds: PageBounds,
  /** The positions the request wrote; none by default. */
  mine: WrittenRange = { after: 0n, upTo: 0n },
): Promise<CompactPage> {
  const [r] = await db.query<GroupedRow>(
    query,
    [
      userId,
      cursor,
      bounds.limit + 1,
      bounds.limit,
      bounds.bytes,
      mine.after.toString(),
      mine.upTo.toString(),
    ],
    true,
  );
  const groups = new Map<string, string>();
  tables.forEach((t, i) => {
    const g = r?.[`g${i}`];
    if (g !== null && g !== undefined) groups.set(t.table.name, g);
  });
  return {
    groups,
    acked: r?.acked ? r.acked.split(',') : [],
    cursor: r?.last ?? cursor,
    hasMore: (r?.found ?? 0) > (r?.n ?? 0),
    purged: BigInt(r?.purged ?? '0'),
    position: r?.user_position ?? cursor,
  };
}

/**
 * The compact response body of a `CompactPage`: the groups of the tables the client knows, with
 * `entries` (the request's own rows, see `CompactAcks.entries`) added to them.
 */
export function compactGroupsBody(
  head: Omit<CompactSyncResponse, 'tables' | 'compact'> | string,
  groups: ReadonlyMap<string, string>,
  tables: ReadonlyMap<string, TableSql>,
  entries: readonly Entry[] = [],
): string {
  const extra = new Map<string, { rows: string[]; acks: string[] }>();
  for (const e of entries) {
    let g = extra.get(e.table);
    if (!g) extra.set(e.table, (g = { rows: [], acks: [] }));
    (e.ack ? g.acks : g.rows).push(e.json);
  }
  const parts: string[] = [];
  for (const [table, sql] of tables) {
    const joined = groups.get(table);
    const own = extra.get(table);
    if (joined === undefined && own === undefined) continue;
    const rows = [...(joined === undefined ? [] : [joined]), ...(own?.rows ?? [])].join(',');
    const fields = JSON.stringify(storedFields(sql.table));
    const rowList = rows.length > 0 ? `,"rows":[${rows}]` : '';
    const ackList = own && own.acks.length > 0 ? `,"acks":[${own.acks.join(',')}]` : '';
    parts.push(`{"table":${JSON.stringify(table)},"fields":${fields}${rowList}${ackList}}`);
  }
  const text = compactHeadJson(head);
  return parts.length === 0 ? text : appendKey(text, `"tables":[${parts.join(',')}]`);
}

/** A compact page's row taken from the query as it is. */
export const compactRow = (_table: string, _seq: string, row: string): string => row;

/** An entry of a compact page: a row's array, or an acknowledgement's. */
export interface Entry {
  readonly table: string;
  readonly json: string;
  readonly ack: boolean;
}

/**
 * The acknowledgement of a row this request wrote (`[id, version, mask, ...rest]`), or null when
 * no field holds what the request last sent for it (the row then goes whole).
 */
export function ackJson(t: TableDecl, w: WrittenRow, sent: SentValues): string | null {
  const mine = sent.of(t.name, w.row.id);
  const fields = storedFields(t);
  if (mine === undefined || fields.length > MAX_ACK_FIELDS) return null;
  let mask = 0;
  const rest: unknown[] = [];
  fields.forEach((f, i) => {
    const v = w.row.fields[f] ?? null;
    if (mine.has(f) && mine.get(f) === v) mask |= 1 << i;
    else rest.push(v);
  });
  return mask === 0 ? null : JSON.stringify([w.row.id, w.row.version, mask, ...rest]);
}

/** A written row as a whole compact row. */
function rowJson(t: TableDecl, w: WrittenRow): string {
  return JSON.stringify([
    w.row.id,
    w.row.version,
    ...storedFields(t).map((f) => w.row.fields[f] ?? null),
  ]);
}

/** What a compact page is made from: the request's own writes, by position. */
export class CompactAcks {
  private readonly byPosition = new Map<string, WrittenRow>();

  constructor(
    private readonly tables: ReadonlyMap<string, TableSql>,
    private readonly written: readonly WrittenRow[],
    private readonly sent: SentValues,
  ) {
    for (const w of written) this.byPosition.set(w.position.toString(), w);
  }

  /** The positions this request wrote: one run (push-write.ts hands them out in order), maybe empty. */
  range(): WrittenRange {
    let after: bigint | null = null;
    let upTo = 0n;
    for (const w of this.written) {
      if (after === null || w.position - 1n < after) after = w.position - 1n;
      if (w.position > upTo) upTo = w.position;
    }
    return after === null ? { after: 0n, upTo: 0n } : { after, upTo };
  }

  /**
   * The entries of this request's writes found on a page (`compactPageQuery`'s `acked`), for
   * the tables the client knows: each an acknowledgement, or the row whole when no field holds
   * what the request sent.
   */
  entries(positions: readonly string[], known: ReadonlyMap<string, TableSql>): Entry[] {
    const out: Entry[] = [];
    for (const p of positions) {
      const w = this.byPosition.get(p);
      if (w === undefined) throw new Error(`position ${p} is not one this request wrote`);
      if (!known.has(w.table)) continue;
      const t = this.tables.get(w.table)!.table;
      const ack = ackJson(t, w, this.sent);
      out.push({ table: w.table, json: ack ?? rowJson(t, w), ack: ack !== null });
    }
    return out;
  }

  /** A page entry: this request's write as an acknowledgement when it can be one. */
  entry(c: WireChange): Entry {
    const w = this.byPosition.get(c.seq);
    const t = this.tables.get(c.table)?.table;
    const ack = w !== undefined && t !== undefined ? ackJson(t, w, this.sent) : null;
    return ack === null
      ? { table: c.table, json: c.json, ack: false }
      : { table: c.table, json: ack, ack: true };
  }

  /**
   * The page when the request's cursor was the user's position: exactly the rows this push
   * wrote, in position order, cut by `bounds` as a pull page is (the acknowledgements' bytes).
   */
  knownPage(cursor: string, bounds: PageBounds): Omit<PullPage, 'purged' | 'position'> {
    const sorted = [...this.written].sort((a, b) =>
      a.position < b.position ? -1 : a.position > b.position ? 1 : 0,
    );
    const changes: WireChange[] = [];
    let bytes = 0;
    for (const w of sorted) {
      if (changes.length >= bounds.limit || bytes >= bounds.bytes) break;
      const t = this.tables.get(w.table)!.table;
      const json = ackJson(t, w, this.sent) ?? rowJson(t, w);
      bytes += Buffer.byteLength(json) + 1;
      changes.push({ table: w.table, seq: w.position.toString(), json });
    }
    return {
      changes,
      cursor: changes.at(-1)?.seq ?? cursor,
      hasMore: changes.length < sorted.length,
    };
  }
}

/** The compact response body: `head` as JSON with the page's table groups spliced in. */
export function compactResponseBody(
  head: Omit<CompactSyncResponse, 'tables' | 'compact'> | string,
  changes: readonly WireChange[],
  acks: CompactAcks | null,
  tables: ReadonlyMap<string, TableSql>,
): string {
  const groups = new Map<string, { rows: string[]; acks: string[] }>();
  for (const c of changes) {
    const e = acks?.entry(c) ?? { table: c.table, json: c.json, ack: false };
    let g = groups.get(e.table);
    if (!g) groups.set(e.table, (g = { rows: [], acks: [] }));
    (e.ack ? g.acks : g.rows).push(e.json);
  }
  const text = compactHeadJson(head);
  if (groups.size === 0) return text;
  const parts = [...groups].map(([table, g]) => {
    const fields = JSON.stringify(storedFields(tables.get(table)!.table));
    const rows = g.rows.length > 0 ? `,"rows":[${g.rows.join(',')}]` : '';
    const ackList = g.acks.length > 0 ? `,"acks":[${g.acks.join(',')}]` : '';
    return `{"table":${JSON.stringify(table)},"fields":${fields}${rows}${ackList}}`;
  });
  return appendKey(text, `"tables":[${parts.join(',')}]`);
}

/**
 * `JSON.stringify({ ...head, compact: COMPACT_VERSION })`, without making that object (`head`
 * may come as its JSON already).
 */
function compactHeadJson(head: Omit<CompactSyncResponse, 'tables' | 'compact'> | string): string {
  const text = typeof head === 'string' ? head : JSON.stringify(head);
  return appendKey(text, `"compact":${COMPACT_VERSION}`);
}
