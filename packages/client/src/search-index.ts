/**
 * The full-text index of a table's search fields on the device: an external-content FTS5 table
 * with the trigram tokenizer (it holds only the index; the text stays in the table), kept in step
 * by triggers on the table, so every write path (local writes, pulled pages, a resync's purge,
 * migrations) updates it in the same transaction. `list({ search })` answers a term of three or
 * more characters from it instead of scanning every row.
 *
 * The index keys rows by rowid. SQLite keeps rowids unless the database is VACUUMed (the engine
 * never does): whatever VACUUMs must rebuild the index (`rebuildSearchIndex`).
 */
import type { TableDecl } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { q } from './rows.ts';

/** The index table of `table`. */
export const searchIndexName = (table: string): string => `${table}__search`;

/** The names the index of `table` takes: its own and those of FTS5's shadow tables. */
export function searchIndexNames(table: string): string[] {
  const fts = searchIndexName(table);
  return [fts, ...['data', 'idx', 'content', 'docsize', 'config'].map((s) => `${fts}_${s}`)];
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

function indexDdl(t: TableDecl): string {
  const cols = t.searchFields.map(q).join(', ');
  return `CREATE VIRTUAL TABLE ${q(searchIndexName(t.name))} USING fts5(${cols}, content=${q(t.name)}, content_rowid='rowid', tokenize='trigram')`;
}

function triggerDdl(t: TableDecl): string[] {
  const fts = q(searchIndexName(t.name));
  const table = q(t.name);
  const cols = t.searchFields.map(q);
  const list = cols.join(', ');
  const vals = (rec: 'new' | 'old') => cols.map((c) => `${rec}.${c}`).join(', ');
  const add = `INSERT INTO ${fts} (rowid, ${list}) VALUES (new.rowid, ${vals('new')});`;
  const del = `INSERT INTO ${fts} (${fts}, rowid, ${list}) VALUES ('delete', old.rowid, ${vals('old')});`;
  const changed = cols.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ');
  const name = (s: string) => q(`${searchIndexName(t.name)}_${s}`);
  return [
    `CREATE TRIGGER ${name('ai')} AFTER INSERT ON ${table} BEGIN ${add} END`,
    `CREATE TRIGGER ${name('ad')} AFTER DELETE ON ${table} BEGIN ${del} END`,
    `CREATE TRIGGER ${name('au')} AFTER UPDATE OF ${list} ON ${table} WHEN ${changed} BEGIN ${del} ${add} END`,
  ];
}

/** Drops the index of `table` and its triggers, if there are. */
export async function dropSearchIndex(tx: SqlTx, table: string): Promise<void> {
  for (const s of ['ai', 'ad', 'au'])
    await tx.exec(`DROP TRIGGER IF EXISTS ${q(`${searchIndexName(table)}_${s}`)}`);
  await tx.exec(`DROP TABLE IF EXISTS ${q(searchIndexName(table))}`);
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
  if (stored?.sql === want) return;
  await dropSearchIndex(tx, t.name);
  await tx.exec(want);
  for (const sql of triggerDdl(t)) await tx.exec(sql);
  await rebuildSearchIndex(tx, t);
}
