import {
  HLC_ZERO,
  VERSION_FIELD,
  checkFields,
  mergeText,
  missingOnCreate,
  type MutationOp,
  type TableDecl,
  type TextHunk,
} from '@ferry/protocol';
import { textFieldsOf } from './text-fields.ts';

/** A row as the server holds it: declared fields, per-field HLCs of their last writes, version. */
export interface StoredRow {
  readonly id: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly hlcs: Readonly<Record<string, string>>;
  readonly version: number;
}

/** What one mutation asks, after the server fixed its stamp. */
export interface MergeInput {
  readonly op: MutationOp;
  readonly id: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The effective HLC (the client's, or the server's when the client's was too far ahead). */
  readonly hlc: string;
  readonly baseVersion: number | null;
  /**
   * Per text field of `fields`: the text the edit was made on, `null` when it is not known any
   * more. A field not listed here has as base the current text when `baseVersion` is the row's
   * version (an edit of the latest text), and none otherwise.
   */
  readonly bases?: Readonly<Record<string, string | null>>;
}

/** The part of a text merge that overlapped: the row keeps one side, the other is kept here. */
export interface TextOverlap {
  readonly field: string;
  /** The field's merged value. */
  readonly text: string;
  readonly hunks: readonly TextHunk[];
  /** True when the text keeps this mutation's version of the hunks (it is the later write). */
  readonly keptMine: boolean;
}

/** How a mutation ended. `applied` carries the row's next state. */
export type MergeOutcome =
  | {
      readonly kind: 'applied';
      readonly row: StoredRow;
      /** A text field holds a merge, not the value sent. */
      readonly merged: boolean;
      readonly overlaps: readonly TextOverlap[];
    }
  | {
      readonly kind: 'superseded';
      /** Overlaps this write lost (its version of them is kept nowhere else). */
      readonly overlaps: readonly TextOverlap[];
    }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string };

/**
 * Applies one mutation to a row's current state (`null`: the user has no such row). Pure: the
 * same inputs give the same outcome on every server, which is what makes arrival order not matter
 * under the lww policy (each field keeps the write with the greatest HLC).
 *
 * - Fields are checked against the declaration first (unknown, server-owned, invalid → rejected),
 *   as the sender's schema version has it (`known`): fields it does not know are left as they
 *   are, and a create fills them with their default.
 * - `delete` writes the deleted field, with `nowIso` when the client sent no value.
 * - lww: a field is written only when `hlc` is greater than the stamp of its last write. An edit
 *   that does not name the deleted field leaves it alone, so an edit never undeletes.
 * - lww, a field declared `merge: 'text'`: the sent text is merged three-way with the current
 *   one against its base (`m.bases`); overlaps keep the later write's version and are returned
 *   as `overlaps`, for the caller to keep.
 * - version: a `baseVersion` other than the row's version is a conflict; otherwise every field is
 *   written.
 */
export function mergeMutation(
  table: TableDecl,
  current: StoredRow | null,
  m: MergeInput,
  nowIso: string,
  /** The table as the sending client's schema version declares it (older: fewer fields). */
  known: TableDecl = table,
): MergeOutcome {
  const problem = checkFields(known, m.fields);
  if (problem) return { kind: 'rejected', code: problem.code, message: problem.message };
  // PostgreSQL text cannot hold U+0000; refusing it here keeps one such mutation from failing
  // the whole transaction (and the client retrying it forever).
  for (const [name, value] of Object.entries(m.fields)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      return {
        kind: 'rejected',
        code: 'invalid_value',
        message: `"${name}" contains a NUL character`,
      };
    }
  }
  const fields: Record<string, unknown> = { ...m.fields };
  if (m.op === 'delete' && !Object.hasOwn(fields, table.deletedField))
    fields[table.deletedField] = nowIso;

  if (current === null) {
    if (table.policy === 'version' && m.baseVersion !== null) return { kind: 'conflict' };
    if (serverMadeRows(table))
      return { kind: 'rejected', code: 'not_found', message: `no ${table.name} row ${m.id}` };
    if (m.op === 'delete')
      return {
        kind: 'rejected',
        code: 'not_found',
        message: `no ${table.name} row ${m.id} to delete`,
      };
    const missing = missingOnCreate(known, fields);
    if (missing !== null) {
      return {
        kind: 'rejected',
        code: 'missing_field',
        message: `a new ${table.name} row needs "${missing}"`,
      };
    }
    const row: Record<string, unknown> = {};
    const hlcs: Record<string, string> = {};
    for (const [name, decl] of Object.entries(table.fields)) {
      if (decl.writtenBy !== 'client') continue;
      if (Object.hasOwn(fields, name)) {
        row[name] = fields[name];
        hlcs[name] = m.hlc;
      } else {
        // A field the sender's schema does not know (or left out): its default, unstamped, so
        // any write of it wins.
        row[name] = decl.default ?? null;
      }
    }
    return {
      kind: 'applied',
      row: { id: m.id, fields: row, hlcs, version: 1 },
      merged: false,
      overlaps: [],
    };
  }

  if (table.policy === 'version' && m.baseVersion !== current.version) return { kind: 'conflict' };
  const nextFields: Record<string, unknown> = { ...current.fields };
  const nextHlcs: Record<string, string> = { ...current.hlcs };
  const texts = textFieldsOf(table);
  const overlaps: TextOverlap[] = [];
  let wrote = false;
  let merged = false;
  for (const [name, value] of Object.entries(fields)) {
    if (name === VERSION_FIELD) continue;
    const stored = current.hlcs[name] ?? HLC_ZERO;
    const newer = m.hlc > stored;
    const theirs = current.fields[name];
    if (texts.includes(name) && typeof value === 'string' && typeof theirs === 'string') {
      const base =
        m.bases?.[name] !== undefined
          ? m.bases[name]
          : m.baseVersion === current.version
            ? theirs
            : null;
      const r = mergeText(base, theirs, value, newer ? 'b' : 'a');
      if (r.text !== value) merged = true;
      if (r.hunks.length > 0)
        overlaps.push({ field: name, text: r.text, hunks: r.hunks, keptMine: newer });
      if (r.text !== theirs) {
        nextFields[name] = r.text;
        if (newer) nextHlcs[name] = m.hlc;
        wrote = true;
      }
      continue;
    }
    // Under the version policy the version check already ordered the writes; HLCs are kept as
    // the greatest seen so a later switch to lww stays consistent.
    if (newer || table.policy === 'version') {
      nextFields[name] = value;
      if (newer) nextHlcs[name] = m.hlc;
      wrote = true;
    }
  }
  if (!wrote) return { kind: 'superseded', overlaps };
  return {
    kind: 'applied',
    row: { id: current.id, fields: nextFields, hlcs: nextHlcs, version: current.version + 1 },
    merged,
    overlaps,
  };
}

/** Rows of a table with fields only the server writes (besides `version`) are made by the server. */
function serverMadeRows(table: TableDecl): boolean {
  return Object.entries(table.fields).some(
    ([name, f]) => name !== VERSION_FIELD && f.writtenBy === 'server',
  );
}

/** A row as it travels in `changes` and in `conflict` results. */
export function wireRow(r: StoredRow): Record<string, unknown> & { id: string; version: number } {
  return { id: r.id, ...r.fields, version: r.version };
}
