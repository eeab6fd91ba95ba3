/**
 * A push's writes as one statement, its parameters made before the user's lock is taken.
 *
 * Under the lock a push runs three round trips: the lock, this statement, COMMIT. The statement
 * first checks that what the merge read before the lock is still so (`v`): the client's seqs,
 * and each row the mutations touch still at the position it was read at (absent rows still
 * absent). Every write to a user's rows (a push, a purge) takes the user's lock and changes the
 * row's position or removes it, and the client's seqs move only in its pushes, so when the check
 * holds the merge's inputs are what a merge under the lock would have read. Then, each only when
 * the check held: the rows (one upsert per table, positions after the user's position), the
 * revisions and sent texts (text-bases.ts), the client's seqs, name and digests (lineage.ts,
 * claim.ts), the user's position and latest stamp, and the poke (NOTIFY is delivered on commit
 * only).
 */
import { VERSION_FIELD, quoteIdent as q } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import { USER_PREFIX } from '../events/poke-hub.ts';
import type { StoredRow } from './merge.ts';
import { arrayLiteral, pgType, textArray, type TableSql } from './rows.ts';

/** Statement parameters, numbered as they are added. */
class Params {
  readonly values: unknown[] = [];
  /** A placeholder for `value`, cast to `type`. */
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The rows a push read, to check under the lock: each id with its position (null: absent). */
export interface ReadRows {
  readonly sql: TableSql;
  readonly positions: ReadonlyMap<string, string | null>;
}

/** A row to write, with its place among the push's new positions (1, 2, …). */
export interface RowToWrite {
  readonly row: StoredRow;
  readonly offset: number;
  /**
   * The row was read absent, and the statement's check (`v`) makes sure it still is: a plain
   * INSERT, without ON CONFLICT's speculative insertion (its own pass over the key index and a
   * second WAL record per row).
   */
  readonly absent?: boolean;
}

/** A revision a push made (see text-bases.ts). */
export interface RevisionToWrite {
  readonly table: string;
  readonly row: StoredRow;
  readonly seq: number;
  readonly hlc: string;
  readonly merged: boolean;
}

/** A text a push's mutation sent (see text-bases.ts). */
export interface SentToWrite {
  readonly seq: number;
  readonly table: string;
  readonly id: string;
  readonly version: number | null;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What the statement writes, all known before the lock. */
export interface PushWrites {
  readonly userId: string;
  readonly clientId: string;
  /** The device name of the caller's login: the client is renamed to it (see claim.ts). */
  readonly deviceName: string | null;
  /** The client's seqs as the merge read them. */
  readonly lastSeq: number;
  readonly confirmedSeq: number;
  readonly read: readonly ReadRows[];
  readonly rows: ReadonlyMap<TableSql, readonly RowToWrite[]>;
  /** How many new positions the rows take. */
  readonly count: number;
  readonly revisions: readonly RevisionToWrite[];
  readonly sent: readonly SentToWrite[];
  readonly lastMutationSeq: number;
  readonly confirmed: number;
  readonly digests: { readonly seqs: readonly number[]; readonly digests: readonly Buffer[] };
  readonly userHlc: string;
}

/** What only the lock tells. */
export interface Locked {
  /** The user's position under the lock: the new rows' positions follow it. */
  readonly position: bigint;
  /** Whether the user's latest stamp moves (the user's stamp under the lock is older). */
  readonly hlcMoved: boolean;
}

/** The statement's text and its parameters but the four the lock decides (`$3`–`$6`). */
export interface PreparedWrite {
  readonly text: string;
  readonly values: readonly unknown[];
  /** The seq moved: caches elsewhere hear of it even when the position did not. */
  readonly seqMoved: boolean;
  readonly userId: string;
  readonly count: number;
}

/** Builds the statement (see the file comment). Pure: runs before the lock. */
export function prepareWrite(w: PushWrites): PreparedWrite {
  const p = new Params();
  const user = p.add(w.userId, 'uuid');
  const client = p.add(w.clientId, 'uuid');
  // Decided under the lock, filled in by `runWrite`.
  const base = p.add(null, 'bigint');
  const payload = p.add(null, 'text');
  const pokeOther = p.add(null, 'boolean');
  const hlcMoved = p.add(null, 'boolean');
  const ok = '(SELECT ok FROM v)';
  const moved = p.add(w.count > 0, 'boolean');

  const checks = [
    `EXISTS (SELECT 1 FROM clients WHERE client_id = ${client} AND user_id = ${user}
             AND last_mutation_seq = ${p.add(w.lastSeq, 'bigint')} AND confirmed_seq = ${p.add(w.confirmedSeq, 'bigint')})`,
  ];
  // Tables in one order whatever order the push named them in: the statement's text is a
  // prepared statement on each pooled connection, one per distinct text.
  const byName = (a: TableSql, b: TableSql): number =>
    a.table.name < b.table.name ? -1 : a.table.name > b.table.name ? 1 : 0;
  for (const r of [...w.read].sort((a, b) => byName(a.sql, b.sql))) {
    if (r.positions.size === 0) continue;
    // A lookup by primary key per id (a subplan), whatever the planner thinks of the table's
    // size: as a join, stale statistics chose a scan of all the user's rows for each id.
    checks.push(`NOT EXISTS (SELECT 1 FROM unnest(${p.add(arrayLiteral([...r.positions.keys()]), 'uuid[]')},
                   ${p.add(arrayLiteral([...r.positions.values()]), 'bigint[]')}) AS k(id, p)
                 WHERE (SELECT x.position FROM ${q(r.sql.table.name)} x WHERE x.user_id = ${user} AND x.id = k.id)
                   IS DISTINCT FROM k.p)`);
  }
  const ctes = [`v AS (SELECT ${checks.join('\n AND ')} AS ok)`];
  // A revision of a row's version this statement writes takes its fields from the written row
  // (`RETURNING`), not from a second copy of its text in the parameters.
  const written = new Set<string>();
  let n = 0;
  for (const [sql, rows] of [...w.rows].sort(([a], [b]) => byName(a, b))) {
    const name = `w${n++}`;
    // New rows by a plain INSERT, the others by an upsert: each CTE only when it has rows.
    const writes: string[] = [];
    for (const [suffix, some, conflict] of [
      ['i', rows.filter((r) => r.absent === true), false],
      ['u', rows.filter((r) => r.absent !== true), true],
    ] as const) {
      if (some.length === 0) continue;
      writes.push(`${name}${suffix}`);
      ctes.push(`${name}${suffix} AS (${upsert(p, sql, { user, base, ok }, some, conflict)})`);
    }
    const rowSet = new Set(rows.map((x) => x.row));
    const mine = w.revisions.filter((r) => r.table === sql.table.name && isWritten(sql, rowSet, r));
    for (const r of mine) written.add(revisionKey(r));
    const from = writes.map((x) => `SELECT * FROM ${x}`).join(' UNION ALL ');
    if (mine.length > 0) ctes.push(revisionsOf(p, sql, name, `(${from})`, mine, user, client, ok));
  }
  const rest = w.revisions.filter((r) => !written.has(revisionKey(r)));
  ctes.push(...textWrites(p, rest, w.sent, user, client, ok));
  ctes.push(...bookkeeping(p, w, { user, client, base, moved, hlcMoved, ok }));
  // The seq or the stamp moved but not the position: caches elsewhere must still hear of it.
  const text = `WITH ${ctes.join(',\n')}
SELECT ${ok} AS ok, CASE WHEN NOT ${ok} THEN NULL
  WHEN ${moved} THEN pg_notify('ferry_poke', ${payload})
  WHEN ${pokeOther} THEN pg_notify('ferry_poke', ${p.add(`${USER_PREFIX}${w.userId}`, 'text')}) END AS poked`;
  return {
    text,
    values: p.values,
    seqMoved: w.lastMutationSeq > w.lastSeq,
    userId: w.userId,
    count: w.count,
  };
}

/** One table's rows, their positions `base` + offset; `conflict`: an upsert, else an INSERT. */
function upsert(
  p: Params,
  sql: TableSql,
  { user, base, ok }: { readonly user: string; readonly base: string; readonly ok: string },
  rows: readonly RowToWrite[],
  conflict: boolean,
): string {
  const t = sql.table;
  const cols = sql.columns;
  const arrays = [
    p.add(arrayLiteral(rows.map((r) => r.row.id)), 'uuid[]'),
    ...cols.map((c) => {
      const type = pgType(t.fields[c]!);
      const values = rows.map((r) => r.row.fields[c] ?? null);
      return p.add(type === 'text' ? textArray(values) : arrayLiteral(values), `${type}[]`);
    }),
    p.add(arrayLiteral(rows.map((r) => r.row.version)), 'bigint[]'),
    p.add(arrayLiteral(rows.map((r) => r.offset)), 'bigint[]'),
    p.add(textArray(rows.map((r) => JSON.stringify(r.row.hlcs))), 'text[]'),
  ];
  const alias = ['id', ...cols.map(q), 'version', 'off', 'hlcs'];
  const set = [...cols.map(q), q(VERSION_FIELD), 'position', 'hlcs'];
  return `INSERT INTO ${q(t.name)} (user_id, id, ${cols.map(q).join(', ')}, ${q(VERSION_FIELD)}, position, hlcs)
    SELECT ${user}, u.id, ${cols.map((c) => `u.${q(c)}`).join(', ')}, u.version, ${base} + u.off, u.hlcs::jsonb
    FROM unnest(${arrays.join(', ')}) AS u(${alias.join(', ')}) WHERE ${ok}
    ${conflict ? `ON CONFLICT (user_id, id) DO UPDATE SET ${set.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : ''}
    RETURNING id, version, ${cols.map(q).join(', ')}`;
}

const revisionKey = (r: RevisionToWrite): string =>
  `${r.table}\u0000${r.row.id}\u0000${r.row.version}`;

/**
 * Whether revision `r` is of a version the upsert writes, with the fields a stored row has, in
 * its columns' order (so the written row's `row_to_json` is the JSON of `r.row.fields`).
 */
function isWritten(sql: TableSql, rows: ReadonlySet<StoredRow>, r: RevisionToWrite): boolean {
  const keys = Object.keys(r.row.fields);
  if (keys.length !== sql.columns.length || keys.some((k, i) => k !== sql.columns[i])) return false;
  // The row written last for an id is its newest version: a revision of an older one is not it.
  return rows.has(r.row);
}

/** Revisions of rows table CTEs `w…` write (`from`: their RETURNING), fields from the written rows. */
function revisionsOf(
  p: Params,
  sql: TableSql,
  w: string,
  from: string,
  revs: readonly RevisionToWrite[],
  user: string,
  client: string,
  ok: string,
): string {
  const cols = sql.columns.map((c) => `x.${q(c)}`).join(', ');
  return `${w}r AS (INSERT INTO revisions (user_id, table_name, record_id, version, fields, client_id, seq, hlc, merged)
     SELECT ${user}, ${p.add(sql.table.name, 'text')}, x.id, x.version, row_to_json(f), ${client}, r.s, r.h, r.m
     FROM unnest(${p.add(arrayLiteral(revs.map((r) => r.row.id)), 'uuid[]')}, ${p.add(arrayLiteral(revs.map((r) => r.seq)), 'bigint[]')},
                 ${p.add(textArray(revs.map((r) => r.hlc)), 'text[]')}, ${p.add(arrayLiteral(revs.map((r) => r.merged)), 'boolean[]')}) AS r(id, s, h, m)
     JOIN ${from} x ON x.id = r.id CROSS JOIN LATERAL (SELECT ${cols}) f
     WHERE ${ok}
     ON CONFLICT (user_id, table_name, record_id, version) DO UPDATE SET
       fields = EXCLUDED.fields, client_id = EXCLUDED.client_id, seq = EXCLUDED.seq,
       hlc = EXCLUDED.hlc, merged = EXCLUDED.merged, created_at = now())`;
}

/** The revisions and sent texts (see text-bases.ts). */
function textWrites(
  p: Params,
  r: readonly RevisionToWrite[],
  s: readonly SentToWrite[],
  user: string,
  client: string,
  ok: string,
): string[] {
  // A purged row's id can be used again: its old revisions give way.
  const revisions = `rv AS (INSERT INTO revisions (user_id, table_name, record_id, version, fields, client_id, seq, hlc, merged)
     SELECT ${user}, r.t, r.id, r.v, r.f::json, ${client}, r.s, r.h, r.m
     FROM unnest(${p.add(textArray(r.map((x) => x.table)), 'text[]')}, ${p.add(arrayLiteral(r.map((x) => x.row.id)), 'uuid[]')},
                 ${p.add(arrayLiteral(r.map((x) => x.row.version)), 'bigint[]')}, ${p.add(textArray(r.map((x) => JSON.stringify(x.row.fields))), 'text[]')},
                 ${p.add(arrayLiteral(r.map((x) => x.seq)), 'bigint[]')}, ${p.add(textArray(r.map((x) => x.hlc)), 'text[]')},
                 ${p.add(arrayLiteral(r.map((x) => x.merged)), 'boolean[]')}) AS r(t, id, v, f, s, h, m)
     WHERE ${ok}
     ON CONFLICT (user_id, table_name, record_id, version) DO UPDATE SET
       fields = EXCLUDED.fields, client_id = EXCLUDED.client_id, seq = EXCLUDED.seq,
       hlc = EXCLUDED.hlc, merged = EXCLUDED.merged, created_at = now())`;
  // Without ON CONFLICT: each seq is above the client's last_mutation_seq, which the check keeps
  // as read, and a sent text is kept only for a seq at or below it (written with it, here).
  const sent = `st AS (INSERT INTO sent_texts (client_id, seq, table_name, record_id, version, fields)
     SELECT ${client}, s.s, s.t, s.id, s.v, s.f::json
     FROM unnest(${p.add(arrayLiteral(s.map((x) => x.seq)), 'bigint[]')}, ${p.add(textArray(s.map((x) => x.table)), 'text[]')},
                 ${p.add(arrayLiteral(s.map((x) => x.id)), 'uuid[]')}, ${p.add(arrayLiteral(s.map((x) => x.version)), 'bigint[]')},
                 ${p.add(textArray(s.map((x) => JSON.stringify(x.fields))), 'text[]')}) AS s(s, t, id, v, f)
     WHERE ${ok})`;
  return [revisions, sent];
}

/**
 * The client's seqs and digests, the user's position and latest stamp. The digest runs deleted
 * (ending <= confirmed) and the one inserted (> lastSeq) never overlap: confirmed < the request's
 * first seq.
 */
function bookkeeping(
  p: Params,
  w: PushWrites,
  $: {
    readonly user: string;
    readonly client: string;
    readonly base: string;
    readonly moved: string;
    readonly hlcMoved: string;
    readonly ok: string;
  },
): string[] {
  const confirmed = p.add(w.confirmed, 'bigint');
  const hlc = p.add(w.userHlc, 'text');
  const name = p.add(w.deviceName, 'text');
  const { seqs, digests } = w.digests;
  const runEnd = seqs.reduce((a, b) => Math.max(a, b), 0);
  return [
    `c AS (UPDATE clients SET last_mutation_seq = GREATEST(last_mutation_seq, ${p.add(w.lastMutationSeq, 'bigint')}),
             confirmed_seq = GREATEST(confirmed_seq, ${confirmed}),
             device_name = coalesce(${name}, device_name)
           WHERE client_id = ${$.client} AND ${$.ok})`,
    // A run goes once all its seqs are confirmed (digests at or below confirmed are never read).
    `d AS (DELETE FROM client_digest_runs WHERE client_id = ${$.client} AND last_seq <= ${confirmed}
             AND ${p.add(w.confirmed > w.confirmedSeq, 'boolean')} AND ${$.ok})`,
    `i AS (INSERT INTO client_digest_runs (client_id, last_seq, seqs, digests)
           SELECT ${$.client}, ${p.add(runEnd, 'bigint')}, ${p.add(arrayLiteral(seqs), 'bigint[]')}, ${p.add(Buffer.concat(digests), 'bytea')}
           WHERE ${p.add(seqs.length > 0, 'boolean')} AND ${$.ok} ON CONFLICT DO NOTHING)`,
    `u AS (UPDATE users SET position = CASE WHEN ${$.moved} THEN ${$.base} + ${p.add(w.count, 'bigint')} ELSE position END,
             max_hlc = GREATEST(max_hlc, ${hlc})
           WHERE id = ${$.user} AND (${$.moved} OR ${$.hlcMoved}) AND ${$.ok})`,
  ];
}

/**
 * Runs the statement with what the lock told. False when the check failed: nothing was written,
 * and the push must merge again on what it reads now (under the lock, it cannot go stale).
 */
export async function runWrite(tx: Queryable, w: PreparedWrite, locked: Locked): Promise<boolean> {
  const values = [...w.values];
  const position = locked.position + BigInt(w.count);
  values[2] = locked.position.toString();
  values[3] = `${w.userId}:${position}`;
  values[4] = w.seqMoved || locked.hlcMoved;
  values[5] = locked.hlcMoved;
  const [r] = await tx.query<{ ok: boolean }>(w.text, values, true);
  return r?.ok === true;
}
