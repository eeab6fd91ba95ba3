import { textFields, type Row, type TableDecl } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';

/**
 * What the local text fields of a record were last written from, so each text edit can tell the
 * server the text it was made on (the base of its three-way merge; see docs/protocol.md).
 *
 * The local text of a record is either this device's own, from its latest edit (`seq`: that
 * outbox entry, acknowledged or not; the next edit sends it as `baseSeq`), or the server's at a
 * version, from a pull (`version`: sent as `baseVersion`). The row's `version` column cannot
 * stand in for it: an acknowledgement raises it before the pulled text arrives, and pulls raise
 * it while a queued edit keeps the local text. `shadow_version` is the version of the server's
 * text kept in `shadow` while a queued edit overrides it, for when that text is put back.
 *
 * A record with no row here (written before this table existed) falls back to the row's version.
 */
export const TEXT_BASE_DDL = `
CREATE TABLE IF NOT EXISTS text_base (
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  version INTEGER,
  seq INTEGER,
  shadow_version INTEGER,
  PRIMARY KEY (table_name, record_id)
);
`;

/**
 * The base a new edit of the record's text fields is sent with: the text it was made on. An
 * editor reads it with the text (`TableStore.getForEdit`) and hands it back with what the user
 * typed (`update`'s `base`), so a pull that changes the row in between is merged, not undone.
 */
export interface TextBase {
  /** This device's own text, from its outbox entry of this seq (sent as `baseSeq`). */
  readonly baseSeq: number | null;
  /** Or the server's text at this version (sent as `baseVersion`). */
  readonly textVersion: number | null;
}

/** The columns `textBaseJoin` adds to a row. */
export interface TextBaseColumns {
  readonly __text_base_version: number | null;
  readonly __text_base_seq: number | null;
}

/** A LEFT JOIN of `text_base` onto the table aliased `t`, adding `TextBaseColumns`; parameter: the table name. */
export const TEXT_BASE_JOIN = {
  columns: 'b.version AS __text_base_version, b.seq AS __text_base_seq',
  join: 'LEFT JOIN text_base AS b ON b.table_name = ? AND b.record_id = t.id',
} as const;

/**
 * `TextBaseColumns` as scalar subqueries, for the end of a select list or of an UPDATE's
 * RETURNING (where a join cannot go); parameters: the table name, the id, the table name, the id.
 */
export const TEXT_BASE_COLUMNS =
  '(SELECT version FROM text_base WHERE table_name = ? AND record_id = ?) AS __text_base_version, ' +
  '(SELECT seq FROM text_base WHERE table_name = ? AND record_id = ?) AS __text_base_seq';

/**
 * The base of a row read with `TEXT_BASE_JOIN` (or `TEXT_BASE_COLUMNS`) (in the same statement, so text and base agree):
 * with no `text_base` row (written before that table existed), the row's version.
 */
export function textBaseOf(row: TextBaseColumns & { version: number }): TextBase {
  const seq = row.__text_base_seq;
  if (seq != null) return { baseSeq: seq, textVersion: null };
  const v = row.__text_base_version ?? (row.version > 0 ? row.version : null);
  return { baseSeq: null, textVersion: v };
}

/** True when `fields` writes one of the table's text fields. */
export function writesText(t: TableDecl, fields: Readonly<Record<string, unknown>>): boolean {
  return textFields(t).some((f) => Object.hasOwn(fields, f));
}

/** The base of the local text of a record (both null when not known). */
export async function currentTextBase(tx: SqlTx, table: string, id: string): Promise<TextBase> {
  const [r] = await tx.all<{ version: number | null; seq: number | null }>(
    'SELECT version, seq FROM text_base WHERE table_name = ? AND record_id = ?',
    [table, id],
  );
  return { baseSeq: r?.seq ?? null, textVersion: r?.seq != null ? null : (r?.version ?? null) };
}

/** `currentTextBase`, falling back to the row's version as `textBaseOf` does. */
export async function textBaseOfRow(
  tx: SqlTx,
  table: string,
  row: { id: string; version: number },
): Promise<TextBase> {
  const b = await currentTextBase(tx, table, row.id);
  if (b.baseSeq != null || b.textVersion != null) return b;
  return { baseSeq: null, textVersion: row.version > 0 ? row.version : null };
}

/** The local text is now the device's own, from the outbox entry just inserted; returns its seq. */
export async function textFromLastEntry(tx: SqlTx, table: string, id: string): Promise<number> {
  const [r] = await tx.all<{ seq: number }>(
    `INSERT INTO text_base (table_name, record_id, version, seq) VALUES (?, ?, NULL, last_insert_rowid())
     ON CONFLICT (table_name, record_id) DO UPDATE SET version = NULL, seq = excluded.seq
     RETURNING seq`,
    [table, id],
  );
  return r!.seq;
}

/** The statement that records a pulled row's text as the local one: parameters table, id, version. */
export const TEXT_FROM_PULL_SQL = `INSERT INTO text_base (table_name, record_id, version, seq) VALUES (?, ?, ?, NULL)
  ON CONFLICT (table_name, record_id) DO UPDATE SET version = excluded.version, seq = NULL`;

/**
 * After a pulled row with pending fields was applied: its text is the local one when no queued
 * entry writes a text field, else the server's text went to `shadow`.
 */
export async function textFromPendingPull(
  tx: SqlTx,
  t: TableDecl,
  row: Row,
  pending: ReadonlySet<string>,
): Promise<void> {
  const names = textFields(t).filter((f) => Object.hasOwn(row, f));
  if (names.length === 0) return;
  if (!names.some((f) => pending.has(f))) {
    await tx.run(TEXT_FROM_PULL_SQL, [t.name, row.id, row.version]);
    return;
  }
  await tx.run(
    `INSERT INTO text_base (table_name, record_id, shadow_version) VALUES (?, ?, ?)
     ON CONFLICT (table_name, record_id) DO UPDATE SET shadow_version = excluded.shadow_version`,
    [t.name, row.id, row.version],
  );
}

/** The server's text kept in `shadow` was put back: the local text is the server's again. */
export async function textFromShadow(
  tx: SqlTx,
  t: TableDecl,
  id: string,
  restored: Readonly<Record<string, unknown>>,
): Promise<void> {
  if (!writesText(t, restored)) return;
  await tx.run(
    'UPDATE text_base SET version = shadow_version, seq = NULL WHERE table_name = ? AND record_id = ?',
    [t.name, id],
  );
}
