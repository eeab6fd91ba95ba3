import {
  checkFields,
  clientFields,
  missingOnCreate,
  uuidv7,
  type TableDecl,
} from '@ferry/protocol';
import type { CountOptions, ListOptions, ListPosition } from './api.ts';
import type { PersistentClock } from './clock.ts';
import type { SqlDriver, SqlReader, SqlTx, SqlValue } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { enqueue } from './outbox.ts';
import { getRow, q, toSql, type LocalRow } from './rows.ts';
import { indexAnswers, matchPhrase, pendingName, searchIndexName } from './search-index.ts';
import {
  TEXT_BASE_JOIN,
  TEXT_BASE_COLUMNS,
  textBaseOf,
  writesText,
  type TextBase,
  type TextBaseColumns,
} from './text-base.ts';

/** Options of `TableStore.update`. */
export interface UpdateOptions {
  /** The base of the text the new text was made from (`getForEdit`); default: the local text now. */
  base?: TextBase;
}

/** A row read (or just written) for editing, with the base of its text fields. */
export interface Editing<R> {
  readonly row: R;
  readonly base: TextBase;
}

/** A row just written, with the base of its text read in the same statement. */
interface RowWithBase {
  row: LocalRow;
  /** The base as `currentTextBase` gives it (what an entry without a given base is sent with). */
  stored: TextBase;
  /** The base as `textBaseOf` gives it (falling back to the row's version). */
  rowBase: TextBase;
}

/** What a TableStore needs from the engine. */
export interface StoreDeps {
  driver: SqlDriver;
  /** Where `get` and `list` read when given: a read-only connection that never waits for a write. */
  reader?: SqlReader;
  clock: PersistentClock;
  now: () => number;
  /** Called after a local write committed. */
  onWrite: (table: string, ids: string[]) => void;
}

/** The base of the text of a record with no text yet (what `currentTextBase` says of a new id). */
const NO_TEXT_BASE: TextBase = { baseSeq: null, textVersion: null };

/** The columns every row has besides its declared fields. */
const ROW_COLUMNS: ReadonlySet<string> = new Set(['id', 'synced']);

/**
 * Write-local-first access to one declared table. Every write is ONE local transaction that
 * changes the row (synced = 0) and appends its outbox entry; none touches the network. `R`, `C`
 * and `P` are the row, create and update types inferred from the declaration (`defineTable`);
 * the checks at run time are the declaration's own, whatever the types say.
 */
export class TableStore<
  R extends { id: string } = LocalRow,
  C extends object = Record<string, unknown>,
  P extends object = Record<string, unknown>,
> {
  private readonly writable: ReadonlySet<string>;
  private readonly created: string | undefined;
  private readonly updated: string | undefined;

  constructor(
    readonly table: TableDecl,
    private readonly deps: StoreDeps,
  ) {
    this.writable = new Set(clientFields(table));
    this.created = table.timestamps?.createdAt;
    this.updated = table.timestamps?.updatedAt;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private check(fields: Record<string, unknown>): void {
    for (const k of Object.keys(fields)) {
      if (k === this.table.deletedField)
        throw new FerryError(ErrorKind.invalidInput, `use remove/restore to change "${k}"`);
    }
    const problem = checkFields(this.table, fields);
    if (problem)
      throw new FerryError(ErrorKind.invalidInput, problem.message, { code: problem.code });
  }

  private async write<T>(
    fn: (tx: SqlTx) => Promise<{ result: T; id: string; queued?: false }>,
  ): Promise<T> {
    const { result, id, queued } = await this.deps.driver.transaction(fn);
    if (queued !== false) this.deps.onWrite(this.table.name, [id]);
    return result;
  }

  /** Creates a row with a new UUIDv7 id; defaults and the creation/modification times are filled in. */
  async create(input: C): Promise<R> {
    const fields: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    this.check(fields);
    return this.write(async (tx) => {
      const nowIso = this.iso();
      const complete = this.completeCreate(fields, nowIso);
      const row = await this.insert(tx, complete, await this.deps.clock.stamp(tx), nowIso);
      return { result: row as unknown as R, id: row.id };
    });
  }

  /**
   * Creates many rows in ONE local transaction (one fsync, one 'changed' event), each with its
   * own outbox entry and HLC stamp, in the order given. All or nothing: every input is checked
   * before anything is written, and the first invalid one fails the call (its message names the
   * item, counting from 1). An empty list writes nothing.
   */
  async createMany(inputs: readonly C[]): Promise<R[]> {
    if (inputs.length === 0) return [];
    const nowIso = this.iso();
    const all = inputs.map((input, i) => {
      try {
        const fields: Record<string, unknown> = { ...(input as Record<string, unknown>) };
        this.check(fields);
        return this.completeCreate(fields, nowIso);
      } catch (e) {
        if (!(e instanceof FerryError)) throw e;
        throw new FerryError(e.kind, `item ${i + 1} of ${inputs.length}: ${e.message}`, e.details);
      }
    });
    const { result, ids } = await this.deps.driver.transaction(async (tx) => {
      const stamps = await this.deps.clock.stampMany(tx, all.length);
      const made: LocalRow[] = [];
      for (const [i, fields] of all.entries())
        made.push(await this.insert(tx, fields, stamps[i]!, nowIso));
      return { result: made as unknown as R[], ids: made.map((r) => r.id) };
    });
    this.deps.onWrite(this.table.name, ids);
    return result;
  }

  /** Fills the defaults and timestamps a create sets and checks that every required field is there. */
  private completeCreate(fields: Record<string, unknown>, nowIso: string): Record<string, unknown> {
    for (const [name, f] of Object.entries(this.table.fields)) {
      if (f.default !== undefined && fields[name] === undefined) fields[name] = f.default;
    }
    if (this.created !== undefined && fields[this.created] === undefined)
      fields[this.created] = nowIso;
    if (this.updated !== undefined && fields[this.updated] === undefined)
      fields[this.updated] = nowIso;
    const missing = missingOnCreate(this.table, fields);
    if (missing) throw new FerryError(ErrorKind.invalidInput, `"${missing}" is required`);
    return fields;
  }

  /** Inserts a new row (synced = 0) and its outbox entry; returns the row as stored. */
  private async insert(
    tx: SqlTx,
    fields: Record<string, unknown>,
    hlc: string,
    nowIso: string,
  ): Promise<LocalRow> {
    const id = uuidv7(this.deps.now());
    const names = Object.keys(fields);
    const [row] = await tx.all<LocalRow>(
      `INSERT INTO ${q(this.table.name)} (id, ${names.map(q).join(', ')}, synced) VALUES (?, ${names.map(() => '?').join(', ')}, 0) RETURNING *`,
      [id, ...names.map((n) => toSql(fields[n]))],
    );
    await enqueue(
      tx,
      {
        table: this.table.name,
        recordId: id,
        op: 'upsert',
        fields,
        hlc,
        baseVersion: null,
        createdAt: nowIso,
      },
      this.table,
      NO_TEXT_BASE, // a new id: no text was written for it before
    );
    return row!;
  }

  /**
   * Changes some fields of a row (live or deleted); bumps the modification time. A text field
   * (`merge: 'text'`) is sent with the base of the local text now, or with `options.base`: the
   * base read with that text (`getForEdit`) when the new text was made from an earlier read.
   */
  async update(id: string, patch: P, options: UpdateOptions = {}): Promise<R> {
    return (await this.updateForEdit(id, patch, options.base)).row;
  }

  /**
   * A row with the base of its text fields, read together: what an editor loads. Hand the base
   * back with the edited text (`updateForEdit`, or `update`'s `base`) so that the server merges
   * it against the text that was read, even if a pull changed the row in between.
   */
  async getForEdit(id: string): Promise<Editing<R> | null> {
    const sql = `SELECT t.*, ${TEXT_BASE_JOIN.columns} FROM ${q(this.table.name)} AS t ${TEXT_BASE_JOIN.join} WHERE t.id = ?`;
    const params = [this.table.name, id];
    const [r] = await this.read<LocalRow & TextBaseColumns>(sql, params);
    if (!r) return null;
    const { __text_base_seq: _s, __text_base_version: _v, ...row } = r;
    return { row: row as unknown as R, base: textBaseOf(r) };
  }

  /**
   * `update` of text read at `base` (from `getForEdit`, or from the previous `updateForEdit`;
   * undefined: the local text now). Returns the new row and the base of its text, for the next
   * edit of the same draft.
   */
  async updateForEdit(id: string, patch: P, base?: TextBase): Promise<Editing<R>> {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = v;
    this.check(fields);
    return this.write(async (tx) => {
      if (Object.keys(fields).length === 0) {
        const { columns, join } = TEXT_BASE_JOIN;
        const sql = `SELECT t.*, ${columns} FROM ${q(this.table.name)} AS t ${join} WHERE t.id = ?`;
        const r = await this.withTextBase(tx, sql, [this.table.name, id]);
        if (!r) throw this.notFound(id);
        const result = { row: r.row as unknown as R, base: base ?? r.rowBase };
        return { result, id, queued: false as const };
      }
      const nowIso = this.iso();
      if (this.updated !== undefined && fields[this.updated] === undefined)
        fields[this.updated] = nowIso;
      const { sql, params } = this.updateSql(id, fields);
      const r = await this.withTextBase(tx, `${sql}, ${TEXT_BASE_COLUMNS}`, [
        ...params,
        ...[this.table.name, id, this.table.name, id],
      ]);
      if (!r) throw this.notFound(id);
      const seq = await this.change(tx, r.row, 'upsert', fields, nowIso, base ?? r.stored);
      // The text is now this very entry's, or still the one `base` names.
      const next = writesText(this.table, fields)
        ? { baseSeq: seq, textVersion: null }
        : (base ?? r.rowBase);
      return { result: { row: r.row as unknown as R, base: next }, id };
    });
  }

  /** Soft-deletes a row (sets the deleted field); a no-op on a deleted row. */
  async remove(id: string): Promise<R> {
    return this.write(async (tx) => {
      const nowIso = this.iso();
      const fields = { [this.table.deletedField]: nowIso };
      const r = await this.updateRow(tx, id, fields, `${q(this.table.deletedField)} IS NULL`);
      if (!r) return { result: (await this.mustGet(tx, id)) as unknown as R, id, queued: false };
      await this.change(tx, r, 'delete', fields, nowIso);
      return { result: r as unknown as R, id };
    });
  }

  /** Undoes a soft delete (writes null to the deleted field); a no-op on a live row. */
  async restore(id: string): Promise<R> {
    return this.write(async (tx) => {
      const fields = { [this.table.deletedField]: null };
      const r = await this.updateRow(tx, id, fields, `${q(this.table.deletedField)} IS NOT NULL`);
      if (!r) return { result: (await this.mustGet(tx, id)) as unknown as R, id, queued: false };
      await this.change(tx, r, 'upsert', fields, this.iso());
      return { result: r as unknown as R, id };
    });
  }

  /** One row by id, deleted or not; null when there is none. */
  async get(id: string): Promise<R | null> {
    if (this.deps.reader) {
      const [r] = await this.deps.reader.all<R>(
        `SELECT * FROM ${q(this.table.name)} WHERE id = ?`,
        [id],
      );
      return r ?? null;
    }
    return this.deps.driver.transaction(
      async (tx) => (await getRow(tx, this.table, id)) as unknown as R | null,
    );
  }

  /**
   * Rows, most recently modified first, optionally filtered by a case-insensitive text search.
   * With `fields`, each row has only those fields and `id`: a listing that shows a few fields
   * does not read every row's text.
   */
  list(opts?: ListOptions & { fields?: undefined }): Promise<R[]>;
  list<K extends keyof R & string>(
    opts: ListOptions & { fields: readonly K[] },
  ): Promise<Pick<R, K | 'id'>[]>;
  async list(
    opts: ListOptions & { fields?: readonly string[] | undefined } = {},
  ): Promise<object[]> {
    const columns = opts.fields ? this.columns(opts.fields) : '*';
    const { where, params } = this.filter(opts);
    if (opts.from) this.position(opts.from, '<=', where, params);
    const order = this.updated !== undefined ? `${q(this.updated)} DESC, id DESC` : 'id DESC';
    const sql = `SELECT ${columns} FROM ${q(this.table.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ? OFFSET ?`;
    params.push(opts.limit ?? -1, opts.offset ?? 0);
    return this.read<object>(sql, params);
  }

  /** The select list for `fields`: id first, then each field the row has, once. */
  private columns(fields: readonly string[]): string {
    const names = new Set(['id', ...fields]);
    for (const f of names)
      if (!ROW_COLUMNS.has(f) && !Object.hasOwn(this.table.fields, f))
        throw new FerryError(ErrorKind.invalidInput, `no field "${f}" in ${this.table.name}`);
    return [...names].map(q).join(', ');
  }

  /** How many rows `list` would give with the same filters; with `before`, only those ahead of it. */
  async count(opts: CountOptions = {}): Promise<number> {
    const { where, params } = this.filter(opts);
    if (opts.before) this.position(opts.before, '>', where, params);
    const sql = `SELECT COUNT(*) AS n FROM ${q(this.table.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const [row] = await this.read<{ n: number }>(sql, params);
    return Number(row?.n ?? 0);
  }

  /** The search, field and trash filters of `list` and `count`. */
  private filter(opts: CountOptions): { where: string[]; params: SqlValue[] } {
    const where: string[] = [];
    const params: SqlValue[] = [];
    for (const [field, value] of Object.entries(opts.where ?? {})) {
      if (field !== 'id' && !Object.hasOwn(this.table.fields, field))
        throw new FerryError(ErrorKind.invalidInput, `no field "${field}" in ${this.table.name}`);
      if (value === null) where.push(`${q(field)} IS NULL`);
      else {
        where.push(`${q(field)} = ?`);
        params.push(value);
      }
    }
    const del = q(this.table.deletedField);
    if (opts.deleted === 'only') where.push(`${del} IS NOT NULL`);
    else if (opts.deleted !== true) where.push(`${del} IS NULL`);
    if (opts.search !== undefined && opts.search !== '' && this.table.searchFields.length > 0)
      this.search(opts.search, where, params);
    return { where, params };
  }

  /**
   * Rows with `term` in a search field, in any case: from the table's trigram index for a term
   * it answers, else (one or two characters) by a scan with LIKE.
   */
  private search(term: string, where: string[], params: SqlValue[]): void {
    const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const likeAny = (alias: string) =>
      `(${this.table.searchFields.map((f) => `${alias}${q(f)} LIKE ? ESCAPE '\\'`).join(' OR ')})`;
    if (!indexAnswers(term)) {
      where.push(likeAny(''));
      for (const _ of this.table.searchFields) params.push(like);
      return;
    }
    // The index, and the rows whose text is not in it yet (search-index.ts). CROSS JOIN keeps
    // the pending list the outer loop: SQLite would otherwise scan every row and look each up in it.
    const fts = q(searchIndexName(this.table.name));
    where.push(
      `rowid IN (SELECT rowid FROM ${fts} WHERE ${fts} MATCH ? UNION ALL ` +
        `SELECT p.row FROM ${q(pendingName(this.table.name))} p CROSS JOIN ${q(this.table.name)} t ON t.rowid = p.row WHERE ${likeAny('t.')})`,
    );
    params.push(matchPhrase(term));
    for (const _ of this.table.searchFields) params.push(like);
  }

  /**
   * Rows at or after `p` in list order (`<=`: newest first, so "after" is smaller), or strictly
   * ahead of it (`>`).
   */
  private position(p: ListPosition, cmp: '<=' | '>', where: string[], params: SqlValue[]): void {
    if (this.updated === undefined) {
      where.push(`id ${cmp} ?`);
      params.push(p.id);
      return;
    }
    // A row value: one range of the list index (app-schema.ts), where the spelled-out OR read
    // every row past the position.
    where.push(`(${q(this.updated)}, id) ${cmp} (?, ?)`);
    params.push(p.updated, p.id);
  }

  private read<T>(sql: string, params: SqlValue[]): Promise<T[]> {
    if (this.deps.reader) return this.deps.reader.all<T>(sql, params);
    return this.deps.driver.transaction((tx) => tx.all<T>(sql, params));
  }

  private notFound(id: string): FerryError {
    return new FerryError(ErrorKind.notFound, `no ${this.table.name} row with id ${id}`);
  }

  private async mustGet(tx: SqlTx, id: string): Promise<LocalRow> {
    const row = await getRow(tx, this.table, id);
    if (!row) throw this.notFound(id);
    return row;
  }

  /**
   * The UPDATE that writes `fields` (and synced = 0) to the row when it matches `where` too,
   * returning the row as written (RETURNING: not read again), and its parameters.
   */
  private updateSql(
    id: string,
    fields: Record<string, unknown>,
    where = '',
  ): { sql: string; params: SqlValue[] } {
    const names = Object.keys(fields);
    const sets = [...names.map((n) => `${q(n)} = ?`), 'synced = 0'].join(', ');
    const also = where ? ` AND ${where}` : '';
    return {
      sql: `UPDATE ${q(this.table.name)} SET ${sets} WHERE id = ?${also} RETURNING *`,
      params: [...names.map((n) => toSql(fields[n])), id],
    };
  }

  /** `updateSql`, run: the row as written, or null when no row matched. */
  private async updateRow(
    tx: SqlTx,
    id: string,
    fields: Record<string, unknown>,
    where: string,
  ): Promise<LocalRow | null> {
    const { sql, params } = this.updateSql(id, fields, where);
    const [row] = await tx.all<LocalRow>(sql, params);
    return row ?? null;
  }

  /** Runs `sql`, a query of one row with `TextBaseColumns`; splits the row from its text's base. */
  private async withTextBase(
    tx: SqlTx,
    sql: string,
    params: SqlValue[],
  ): Promise<RowWithBase | null> {
    const [r] = await tx.all<LocalRow & TextBaseColumns>(sql, params);
    if (!r) return null;
    const { __text_base_seq: seq, __text_base_version: version, ...row } = r;
    const stored = { baseSeq: seq, textVersion: seq != null ? null : version };
    return { row, stored, rowBase: textBaseOf(r) };
  }

  /**
   * Stamps a change already written to the row and appends its outbox entry; returns its seq
   * when it writes text (`enqueue`).
   */
  private async change(
    tx: SqlTx,
    row: LocalRow,
    op: 'upsert' | 'delete',
    fields: Record<string, unknown>,
    nowIso: string,
    base?: TextBase,
  ): Promise<number | null> {
    const hlc = await this.deps.clock.stamp(tx);
    return enqueue(
      tx,
      {
        table: this.table.name,
        recordId: row.id,
        op,
        fields,
        hlc,
        baseVersion: row.version > 0 ? row.version : null,
        createdAt: nowIso,
      },
      this.table,
      base,
    );
  }
}
