import type { Mutation, TableDecl } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import type { StoredRow } from './merge.ts';
import type { RevisionToWrite, SentToWrite } from './push-write.ts';
import { keepsRevisionsOf, textFieldsOf } from './text-fields.ts';

/**
 * The texts a push merges against, and the revisions it leaves behind.
 *
 * An edit of a text field was made on some text, its base:
 * - with `baseSeq`, the text this client sent in its own mutation `baseSeq` (a device's later
 *   edit is built on its earlier one, acknowledged or not): a `sent_texts` row;
 * - otherwise the text of the row at `baseVersion`: a `revisions` row (or the current row, when
 *   `baseVersion` is its version);
 * - with neither, on a row the server has (a client that has not seen any version of it, such
 *   as a v1 client editing a row it made before the acknowledgement came): the text this client
 *   last sent for that row, since that is the only text it can have been working on;
 * - `null` when that is gone (purged by retention) or was never given (a v1 client that sends no
 *   `baseVersion`): the merge then treats the whole text as overlapping, and loses nothing.
 *
 * One push loads every base its mutations may need in at most two queries (`prefetch`), keeps
 * what it produces in memory (a later mutation of the same request may build on it), and hands
 * the new revisions and sent texts to the push's one write (`pending`).
 */
export class TextBases {
  /** `table \0 id \0 version` → the row's stored fields at that version. */
  private readonly revs = new Map<string, Readonly<Record<string, unknown>>>();
  /** Who made each known revision (`null`: unknown). */
  private readonly writers = new Map<string, string | null>();
  /** seq → what this client sent then (its text fields), or the revision that holds it. */
  private readonly sent = new Map<number, SentText>();
  /** `table \0 id` → the text this client last sent for that row, as far as known. */
  private readonly lastSent = new Map<string, SentText>();
  private readonly newRevisions: RevisionToWrite[] = [];
  private readonly newSent: { seq: number; sent: SentText }[] = [];

  constructor(
    private readonly tx: Queryable,
    private readonly userId: string,
    private readonly clientId: string,
  ) {}

  /**
   * Loads the bases the request's text edits of existing rows refer to, and the writer of each
   * row such an edit may merge with (for the conflict record). `rows`: the rows as loaded.
   */
  async prefetch(
    tables: ReadonlyMap<string, TableDecl>,
    mutations: readonly Mutation[],
    rows: ReadonlyMap<string, ReadonlyMap<string, StoredRow | null>>,
  ): Promise<void> {
    const seqs = new Set(mutations.map((m) => m.seq));
    const wantSent: number[] = [];
    const wantRevs: Key[] = [];
    const wantLast = new Map<string, { table: string; id: string; before: number }>();
    for (const m of mutations) {
      const t = tables.get(m.table);
      const row = rows.get(m.table)?.get(m.id);
      if (!t || !row || !textFieldsOf(t).some((f) => Object.hasOwn(m.fields, f))) continue;
      this.remember(t.name, row.id, row.version, row.fields, undefined);
      const fastForward = m.baseSeq === undefined && m.baseVersion === row.version;
      if (fastForward) continue;
      wantRevs.push({ table: t.name, id: m.id, version: row.version, fields: false });
      if (m.baseSeq !== undefined && !seqs.has(m.baseSeq)) wantSent.push(m.baseSeq);
      else if (m.baseSeq === undefined && m.baseVersion !== null && m.baseVersion < row.version)
        wantRevs.push({ table: t.name, id: m.id, version: m.baseVersion, fields: true });
      else if (
        m.baseSeq === undefined &&
        m.baseVersion === null &&
        !wantLast.has(rowKey(t.name, m.id))
      )
        wantLast.set(rowKey(t.name, m.id), { table: t.name, id: m.id, before: m.seq });
    }
    await this.loadLastSent([...wantLast.values()], wantRevs);
    if (wantSent.length > 0) {
      const found = await this.tx.query<{
        seq: string;
        table_name: string;
        record_id: string;
        version: string | null;
        fields: Record<string, unknown> | null;
      }>(
        `SELECT seq::text AS seq, table_name, record_id::text AS record_id, version::text AS version, fields
         FROM sent_texts WHERE client_id = $1 AND seq = ANY($2::bigint[])`,
        [this.clientId, wantSent],
      );
      for (const r of found) {
        const version = r.version === null ? null : Number(r.version);
        this.sent.set(Number(r.seq), {
          table: r.table_name,
          id: r.record_id,
          version,
          fields: r.fields ?? {},
        });
        if (version !== null)
          wantRevs.push({ table: r.table_name, id: r.record_id, version, fields: true });
      }
    }
    await this.loadRevisions(wantRevs);
  }

  /** For each row, the latest text this client sent for it before `before`. */
  private async loadLastSent(
    rows: readonly { table: string; id: string; before: number }[],
    wantRevs: Key[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const found = await this.tx.query<{
      table_name: string;
      record_id: string;
      version: string | null;
      fields: Record<string, unknown> | null;
    }>(
      `SELECT k.t AS table_name, k.id::text AS record_id, s.version::text AS version, s.fields
       FROM unnest($2::text[], $3::uuid[], $4::bigint[]) AS k(t, id, before)
       CROSS JOIN LATERAL (
         SELECT version, fields FROM sent_texts
         WHERE client_id = $1 AND table_name = k.t AND record_id = k.id AND seq < k.before
         ORDER BY seq DESC LIMIT 1) s`,
      [this.clientId, rows.map((r) => r.table), rows.map((r) => r.id), rows.map((r) => r.before)],
    );
    for (const r of found) {
      const version = r.version === null ? null : Number(r.version);
      const sent = { table: r.table_name, id: r.record_id, version, fields: r.fields ?? {} };
      this.lastSent.set(rowKey(r.table_name, r.record_id), sent);
      if (version !== null)
        wantRevs.push({ table: r.table_name, id: r.record_id, version, fields: true });
    }
  }

  private async loadRevisions(keys: readonly Key[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = await this.tx.query<{
      table_name: string;
      record_id: string;
      version: string;
      client_id: string | null;
      fields: Record<string, unknown> | null;
    }>(
      `SELECT r.table_name, r.record_id::text AS record_id, r.version::text AS version,
              r.client_id::text AS client_id, CASE WHEN k.f THEN r.fields END AS fields
       FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::boolean[]) AS k(t, id, v, f)
       JOIN revisions r ON r.user_id = $1 AND r.table_name = k.t AND r.record_id = k.id AND r.version = k.v`,
      [
        this.userId,
        keys.map((k) => k.table),
        keys.map((k) => k.id),
        keys.map((k) => k.version),
        keys.map((k) => k.fields),
      ],
    );
    for (const r of rows) {
      this.remember(r.table_name, r.record_id, Number(r.version), r.fields, r.client_id);
    }
  }

  private remember(
    table: string,
    id: string,
    version: number,
    fields: Readonly<Record<string, unknown>> | null,
    writer: string | null | undefined,
  ): void {
    const k = key(table, id, version);
    if (fields !== null && !this.revs.has(k)) this.revs.set(k, fields);
    if (writer !== undefined) this.writers.set(k, writer);
  }

  /**
   * The base text of each text field `m` writes, for a merge with `current` (see the class
   * comment); `undefined` when `m` writes no text field.
   */
  basesFor(
    t: TableDecl,
    m: Mutation,
    current: StoredRow,
  ): Record<string, string | null> | undefined {
    const names = textFieldsOf(t).filter((f) => Object.hasOwn(m.fields, f));
    if (names.length === 0) return undefined;
    const out: Record<string, string | null> = {};
    // Its own earlier text: named by baseSeq, or (no baseVersion either) the last it sent.
    const ownText = m.baseSeq !== undefined || m.baseVersion === null;
    const own =
      m.baseSeq !== undefined
        ? this.sent.get(m.baseSeq)
        : m.baseVersion === null
          ? this.lastSent.get(rowKey(t.name, m.id))
          : undefined;
    const ownFields =
      own === undefined || own.table !== t.name || own.id !== m.id ? null : this.textsOf(own);
    const atVersion =
      m.baseVersion === null
        ? null
        : m.baseVersion === current.version
          ? current.fields
          : (this.revs.get(key(t.name, m.id, m.baseVersion)) ?? null);
    for (const f of names) {
      // A text field its own earlier mutation did not write: that one's base is the version's.
      const wrote = ownFields !== null && Object.hasOwn(ownFields, f);
      const v =
        ownText && wrote
          ? ownFields[f]
          : ownText && ownFields === null
            ? undefined
            : atVersion?.[f];
      out[f] = typeof v === 'string' ? v : null;
    }
    return out;
  }

  /**
   * The text fields a sent mutation wrote, with their values: a null value stands for the text
   * of revision `version`. Null when that revision is gone.
   */
  private textsOf(sent: SentText): Record<string, unknown> | null {
    const rev =
      sent.version === null ? null : this.revs.get(key(sent.table, sent.id, sent.version));
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(sent.fields)) {
      if (value !== null) out[name] = value;
      else if (rev) out[name] = rev[name];
      else return null;
    }
    return out;
  }

  /** Who last wrote `row` (its current version), when known. */
  writerOf(table: string, row: StoredRow): string | null {
    return this.writers.get(key(table, row.id, row.version)) ?? null;
  }

  /**
   * Records what an accepted mutation leaves: the revision it made (`after`, when applied, for a
   * table that keeps revisions) and the text it sent (when it wrote a text field).
   */
  record(t: TableDecl, m: Mutation, hlc: string, after: StoredRow | null, merged: boolean): void {
    if (after !== null && keepsRevisionsOf(t)) {
      this.remember(t.name, after.id, after.version, after.fields, this.clientId);
      this.newRevisions.push({ table: t.name, row: after, seq: m.seq, hlc, merged });
    }
    const names = textFieldsOf(t).filter((f) => Object.hasOwn(m.fields, f));
    if (names.length === 0) return;
    const mine = Object.fromEntries(names.map((f) => [f, m.fields[f]]));
    const exact = after !== null && names.every((f) => after.fields[f] === m.fields[f]);
    // Exactly what the revision holds: name the fields, not their text (no second copy).
    const sent: SentText = exact
      ? {
          table: t.name,
          id: m.id,
          version: after.version,
          fields: Object.fromEntries(names.map((f) => [f, null])),
        }
      : { table: t.name, id: m.id, version: null, fields: mine };
    this.sent.set(m.seq, sent);
    this.lastSent.set(rowKey(t.name, m.id), sent);
    this.newSent.push({ seq: m.seq, sent });
  }

  /** The revisions and sent texts this push made, for its one write (push-write.ts). */
  pending(): { revisions: readonly RevisionToWrite[]; sent: readonly SentToWrite[] } {
    return {
      revisions: this.newRevisions,
      sent: this.newSent.map(({ seq, sent }) => ({ seq, ...sent })),
    };
  }
}

interface Key {
  readonly table: string;
  readonly id: string;
  readonly version: number;
  /** Whether the fields are needed (else only who wrote it). */
  readonly fields: boolean;
}

interface SentText {
  readonly table: string;
  readonly id: string;
  /** The revision that holds the fields sent as null in `fields`. */
  readonly version: number | null;
  /** The text fields the mutation wrote: its text, or null for "as in revision `version`". */
  readonly fields: Readonly<Record<string, unknown>>;
}

const rowKey = (table: string, id: string): string => `${table}\u0000${id}`;

const key = (table: string, id: string, version: number): string =>
  `${table}\u0000${id}\u0000${version}`;
