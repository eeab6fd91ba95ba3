import { quoteIdent as q, storedFields, type FieldDecl, type TableDecl } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import type { StoredRow } from './merge.ts';

/** The PostgreSQL type of a declared field's values (its array's element type in a write). */
export function pgType(f: FieldDecl): string {
  if (f.type === 'integer') return 'bigint';
  if (f.type === 'uuid') return 'uuid';
  return 'text';
}

/** Prepared SQL for one declared table. */
export interface TableSql {
  readonly table: TableDecl;
  /** The user's rows among the ids `$2` (each with its position), for a push (`loadRowsAt`). */
  readonly select: string;
  /** The pull's candidates (see `pullQuery`): position and a cheap lower bound of the row's size. */
  readonly pullSizes: string;
  /** The pull's rows up to the end the sizes allow (the `page_end` CTE), each as JSON text. */
  readonly pullRows: string;
  readonly columns: readonly string[];
}

/** Builds the SQL the sync path runs against one table. */
export function tableSql(t: TableDecl): TableSql {
  // Every declared field: server-written ones too (a `text_conflicts` row is made by the server).
  const cols = storedFields(t);
  const name = q(t.name);
  // Each id looked up by key (`OFFSET 0` keeps the lookup a subquery run per id): with
  // `id = ANY($2)` and a push's 500 ids, the planner walked all the user's rows instead on a table
  // never analyzed (touched-rows-plan.test.ts).
  const select = `SELECT x.position::text AS position, x.id::text AS id, ${cols.map((c) => `x.${q(c)}`).join(', ')},
      x.version::text AS version, x.hlcs
    FROM unnest($2::uuid[]) AS k(id)
    CROSS JOIN LATERAL (SELECT * FROM ${name} n WHERE n.user_id = $1 AND n.id = k.id OFFSET 0) x`;
  // A lower bound of the row's JSON size that reads no value: `octet_length` of a stored text
  // takes its length from the header or the TOAST pointer, without decompressing or fetching it.
  const text = Object.keys(t.fields).filter((c) => pgType(t.fields[c]!) === 'text');
  const size = [
    String(fixedJsonBytes(t)),
    ...text.map((c) => `coalesce(octet_length(${q(c)}), 0)`),
  ];
  const pullSizes = `SELECT position, (${size.join(' + ')})::bigint AS est
    FROM ${name} WHERE user_id = $1 AND position > $2::bigint ORDER BY position LIMIT $3`;
  // Owner, position and HLCs never travel: the row is id, then the declared fields (`version`
  // among them). `row_to_json` writes compact JSON, as JSON.stringify does, about three times as
  // fast as `to_jsonb(x) - ...` and its text output. The range ends at the page's end, so it runs
  // only on rows the page may hold.
  const wire = ['id', ...Object.keys(t.fields)].map((c) => `x.${q(c)}`).join(', ');
  const pullRows = `SELECT '${t.name}' AS t, x.position, row_to_json(r)::text AS row
    FROM ${name} x, LATERAL (SELECT ${wire}) r
    WHERE x.user_id = $1 AND x.position > $2::bigint AND x.position <= (SELECT last FROM page_end)`;
  return { table: t, select, pullSizes, pullRows, columns: cols };
}

/**
 * The bytes of a row's JSON (as `row_to_json` writes it: `{"id":"…","title":"…",…}`) that do not
 * depend on its values, at least: braces, commas, keys, the quotes of strings, a uuid's 36
 * characters, one digit of an integer. Text values add their UTF-8 length, more if escaped.
 */
export function fixedJsonBytes(t: TableDecl): number {
  let n = 1 + `"id":"`.length + 36 + 1; // `{` and the id
  for (const [name, f] of Object.entries(t.fields)) {
    n += 1 + name.length + 3; // `,"name":`
    if (f.type === 'uuid')
      n += f.nullable === true ? 4 : 38; // `null` or `"…"`
    else if (f.type === 'integer') n += 1;
    else n += f.nullable === true ? 0 : 2; // a null text is `null`: count nothing
  }
  return n + 1; // `}`
}

interface DbRow {
  id: string;
  version: string;
  hlcs: Record<string, string>;
  [field: string]: unknown;
}

/** Loads the user's rows among `ids` in one query, each with its position. */
export async function loadRowsAt(
  db: Queryable,
  sql: TableSql,
  userId: string,
  ids: readonly string[],
): Promise<Map<string, { row: StoredRow; position: string }>> {
  const rows = await db.query<DbRow & { position: string }>(
    sql.select,
    [userId, arrayLiteral(ids)],
    true,
  );
  const out = new Map<string, { row: StoredRow; position: string }>();
  for (const r of rows) {
    const fields: Record<string, unknown> = {};
    for (const c of sql.columns) fields[c] = integerField(sql.table, c, r[c]);
    out.set(r.id, {
      row: { id: r.id, fields, hlcs: r.hlcs, version: Number(r.version) },
      position: r.position,
    });
  }
  return out;
}

// pg returns bigint as a string; declared integer fields travel as JSON numbers.
function integerField(t: TableDecl, name: string, v: unknown): unknown {
  return t.fields[name]?.type === 'integer' && typeof v === 'string' ? Number(v) : v;
}

/**
 * One element of a PostgreSQL array literal: `NULL`, a number as it is, anything else quoted with
 * `"` and `\\` escaped (an object as its JSON, as `pg` sends one).
 */
function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  // Most texts have neither: two scans for a character are cheaper than a replace.
  if (s.indexOf('"') === -1 && s.indexOf('\\') === -1) return `"${s}"`;
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * `values` as a PostgreSQL array literal (`{…}`), for a parameter cast to an array type. `pg`
 * makes the same text from a JavaScript array, but element by element through its generic
 * value preparation, two regular expressions per string: for a push's 500-row upsert, that
 * was most of the statement's CPU in Node.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

/** PostgreSQL's type oid of `text`, the element type of a `text[]` in binary form. */
const TEXT_OID = 25;

/**
 * `values` as a `text[]` parameter in PostgreSQL's binary array form (pg sends a Buffer as a
 * binary parameter): each element as `arrayLiteral` would give it (a number as its digits, a
 * boolean as `t`/`f`, an object as its JSON), in UTF-8 behind its length. PostgreSQL reads it
 * without the literal's scan for quotes and escapes, about a third of the CPU for ~1 KB texts
 * (2.4 against 0.95 µs an element, measured), and nothing here escapes either.
 */
export function textArray(values: readonly unknown[]): Buffer {
  const texts = values.map(elementText);
  let size = 20;
  for (const t of texts) size += 4 + (t === null ? 0 : Buffer.byteLength(t));
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(texts.includes(null) ? 1 : 0, 4); // has nulls
  out.writeInt32BE(TEXT_OID, 8);
  out.writeInt32BE(texts.length, 12);
  out.writeInt32BE(1, 16); // lower bound
  let at = 20;
  for (const t of texts) {
    if (t === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const n = out.write(t, at + 4);
    out.writeInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}

/** An element's text, as `arrayElement` gives it unquoted (`null`: SQL NULL). */
function elementText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return JSON.stringify(v);
}
