/**
 * The full-text index of a table's search fields on the device: an external-content FTS5 table
 * with the trigram tokenizer (it holds only the index; the text stays in the table). `list({
 * search })` answers a term of three or more characters from it instead of scanning every row.
 *
 * Triggers on the table keep it in step on every write path (local writes, pulled pages, a
 * resync's purge, migrations), in two halves. A row whose text changes (inserted, or updated in
 * a search field) has its old text taken out of the index at once and its rowid put in the
 * table's pending list; `indexPending` indexes the pending rows in one statement, which the
 * engine runs in the transaction applying each pulled page. One statement for a page costs about
 * a quarter of indexing each row from its trigger (measured with better-sqlite3, 50 000 rows of
 * ~200 characters in transactions of 1 000: ~25 against ~95 µs a row). A search
 * reads the index and checks the pending rows with LIKE, so it sees every committed row either
 * way.
 *
 * The index keys rows by rowid. SQLite keeps rowids unless the database is VACUUMed (the engine
 * never does): whatever VACUUMs must rebuild the index (`rebuildSearchIndex`).
 */
import type { TableDecl } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { q } from './rows.ts';

/** The index table of `table`. */
export const searchIndexName = (table: string): string => `${table}__search`;

/** The rowids of `table` whose text is not (yet) in its index. */
export const pendingName = (table: string): string => `${table}__search_pending`;

/** The names the index of `table` takes: its own, FTS5's shadow tables', the pending list's. */
export function searchIndexNames(table: string): string[] {
  const fts = searchIndexName(table);
  const shadows = ['data', 'idx', 'content', 'docsize', 'config'].map((s) => `${fts}_${s}`);
  return [fts, ...shadows, pendingName(table)];
}

/** The shortest term the trigram index answers: shorter ones match no trigram. */
export const MIN_INDEXED_TERM = 3;

/** Whether the index answers `term` (counted in characters, as the tokenizer counts). */
export function indexAnswers(term: string): boolean {
  return [...term].length >= MIN_INDEXED_TERM;
}

/** The MATCH operand that finds `term` as a substring: one quoted phrase, its syntax literal. */
export function matchPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * FTS5 settings of every index, for pulls of thousands of rows a transaction (docs/benchmarks.md,
 * "FTS5 settings for bulk pulls"): `hashsize`, the memory a transaction's pending index data may
 * take before FTS5 writes it out as a segment (default 1 MB: a page of 5 000 rows made several);
 * `automerge`, how many segments of one level wait before they are merged into one (default 4);
 * `crisismerge`, the count at which they are merged at once (default 16, which would cut
 * `automerge`'s gradual merges short). Fewer merges rewrite each row's index data fewer times,
 * at the cost of more segments for a search to read (~0.5 ms more for a rare term at 100 000
 * rows). FTS5 keeps them in the index's `_config` table, so they are set when an index is made
 * and checked at every open (an index made by an older build, or made again for a field change).
 */
export const SEARCH_INDEX_SETTINGS: Readonly<Record<string, number>> = {
  hashsize: 4 * 1024 * 1024,
  automerge: 16,
  crisismerge: 32,
};

/** Sets the index's settings FTS5 does not have yet: none on an open of an up-to-date database. */
async function applySettings(tx: SqlTx, table: string): Promise<void> {
  const fts = searchIndexName(table);
  const stored = await tx.all<{ k: string; v: unknown }>(`SELECT k, v FROM ${q(`${fts}_config`)}`);
  const have = new Map(stored.map((r) => [r.k, r.v]));
  for (const [k, v] of Object.entries(SEARCH_INDEX_SETTINGS)) {
    // Literals: FTS5 refuses a bound number here (better-sqlite3 binds it as a REAL).
    if (have.get(k) !== v)
      await tx.exec(`INSERT INTO ${q(fts)} (${q(fts)}, rank) VALUES ('${k}', ${String(v)})`);
  }
}

function indexDdl(t: TableDecl): string {
  const cols = t.searchFields.map(q).join(', ');
  return `CREATE VIRTUAL TABLE ${q(searchIndexName(t.name))} USING fts5(${cols}, content=${q(t.name)}, content_rowid='rowid', tokenize='trigram')`;
}

/** The index's triggers: after insert, delete, update (in `triggerDdl`'s order). */
const TRIGGERS = ['ai', 'ad', 'au'] as const;
const triggerName = (table: string, s: string): string => `${searchIndexName(table)}_${s}`;

function triggerDdl(t: TableDecl): string[] {
  const fts = q(searchIndexName(t.name));
  const pending = q(pendingName(t.name));
  const table = q(t.name);
  const cols = t.searchFields.map(q);
  const old = cols.map((c) => `old.${c}`).join(', ');
  // Out of the index, unless it never went in (FTS5 must be given exactly what it indexed).
  const unindex =
    `INSERT INTO ${fts} (${fts}, rowid, ${cols.join(', ')}) SELECT 'delete', old.rowid, ${old} ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${pending} WHERE row = old.rowid);`;
  // Not `INSERT OR IGNORE`: in a trigger, an outer statement's conflict clause overrides it; an
  // upsert's `DO NOTHING` it does not. Nor `INSERT … SELECT … WHERE NOT EXISTS`: a statement that
  // reads the table it inserts into goes through a temporary table, ~1 µs a row more.
  const later = `INSERT INTO ${pending} (row) VALUES (new.rowid) ON CONFLICT DO NOTHING;`;
  const changed = cols.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ');
  const name = (s: string) => q(triggerName(t.name, s));
  return [
    `CREATE TRIGGER ${name('ai')} AFTER INSERT ON ${table} BEGIN ${later} END`,
    `CREATE TRIGGER ${name('ad')} AFTER DELETE ON ${table} BEGIN ${unindex} DELETE FROM ${pending} WHERE row = old.rowid; END`,
    `CREATE TRIGGER ${name('au')} AFTER UPDATE OF ${cols.join(', ')} ON ${table} WHEN ${changed} BEGIN ${unindex} ${later} END`,
  ];
}

/**
 * Makes the index's triggers again when their stored SQL is not this build's (an older build's
 * wrote the pending list another way): same effect, so the index is kept as it is.
 */
async function refreshTriggers(tx: SqlTx, t: TableDecl): Promise<void> {
  const names = TRIGGERS.map((s) => triggerName(t.name, s));
  const rows = await tx.all<{ name: string; sql: string }>(
    `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?, ?)`,
    names,
  );
  const stored = new Map(rows.map((r) => [r.name, r.sql]));
  const want = triggerDdl(t);
  if (names.every((n, i) => stored.get(n) === want[i])) return;
  for (const n of names) await tx.exec(`DROP TRIGGER IF EXISTS ${q(n)}`);
  for (const sql of want) await tx.exec(sql);
}

/**
 * Indexes the rows of `t` pending in its list, in one statement. Runs in the caller's
 * transaction (a reader never sees a row missing from both the index and the list). CROSS JOIN
 * keeps the list the outer loop (not a scan of the table).
 */
export async function indexPending(tx: SqlTx, t: TableDecl): Promise<void> {
  if (t.searchFields.length === 0) return;
  const fts = q(searchIndexName(t.name));
  const pending = q(pendingName(t.name));
  // Nothing pending (an up-to-date database opened, a page that changed no text): no statement
  // that writes, so such a transaction commits nothing (DELETE of a whole table rewrites its
  // root page even when it is empty).
  if ((await tx.all(`SELECT 1 FROM ${pending} LIMIT 1`)).length === 0) return;
  const cols = t.searchFields.map((c) => `t.${q(c)}`).join(', ');
  await tx.run(
    `INSERT INTO ${fts} (rowid, ${t.searchFields.map(q).join(', ')}) SELECT t.rowid, ${cols} FROM ${pending} p CROSS JOIN ${q(t.name)} t ON t.rowid = p.row ORDER BY p.row`,
  );
  await tx.run(`DELETE FROM ${pending}`);
}

/** Drops the index of `table` and its triggers, if there are. */
export async function dropSearchIndex(tx: SqlTx, table: string): Promise<void> {
  for (const s of TRIGGERS) await tx.exec(`DROP TRIGGER IF EXISTS ${q(triggerName(table, s))}`);
  await tx.exec(`DROP TABLE IF EXISTS ${q(searchIndexName(table))}`);
  await tx.exec(`DROP TABLE IF EXISTS ${q(pendingName(table))}`);
}

/** Re-reads every row of the table into its index. */
export async function rebuildSearchIndex(tx: SqlTx, t: TableDecl): Promise<void> {
  const fts = q(searchIndexName(t.name));
  await tx.exec(`INSERT INTO ${fts} (${fts}) VALUES ('rebuild')`);
}

/**
 * Gives the table the index its declaration asks for: none without search fields; made and
 * filled from the stored rows when missing (a database from before the index, or a table whose
 * index was dropped to change its shape) or over other fields.
 */
export async function ensureSearchIndex(tx: SqlTx, t: TableDecl): Promise<void> {
  if (t.searchFields.length === 0) return dropSearchIndex(tx, t.name);
  const want = indexDdl(t);
  const [stored] = await tx.all<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
    [searchIndexName(t.name)],
  );
  if (stored?.sql === want) {
    await applySettings(tx, t.name);
    await refreshTriggers(tx, t);
    return indexPending(tx, t);
  }
  await dropSearchIndex(tx, t.name);
  await tx.exec(want);
  await applySettings(tx, t.name);
  await tx.exec(`CREATE TABLE ${q(pendingName(t.name))} (row INTEGER PRIMARY KEY)`);
  for (const sql of triggerDdl(t)) await tx.exec(sql);
  await rebuildSearchIndex(tx, t);
}
