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
import { getRow, q, toSql, updateColumns, type LocalRow } from './rows.ts';
import {
  TEXT_BASE_JOIN,
  textBaseOfRow,
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

/** Ids per SELECT when reading a batch back (under SQLite's historical 999-parameter cap). */
const GET_MANY_CHUNK = 500;

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
      const id = await this.insert(
        tx,
        this.completeCreate(fields, nowIso),
        await this.deps.clock.stamp(tx),
        nowIso,
      );
      return { result: (await getRow(tx, this.table, id)) as unknown as R, id };
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
      const made: string[] = [];
      for (const [i, fields] of all.entries())
        made.push(await this.insert(tx, fields, stamps[i]!, nowIso));
      return { result: await this.getMany(tx, made), ids: made };
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

  /** Inserts a new row (synced = 0) and its outbox entry; returns the new id. */
  private async insert(
    tx: SqlTx,
    fields: Record<string, unknown>,
    hlc: string,
    nowIso: string,
  ): Promise<string> {
    const id = uuidv7(this.deps.now());
    const names = Object.keys(fields);
    await tx.run(
      `INSERT INTO ${q(this.table.name)} (id, ${names.map(q).join(', ')}, synced) VALUES (?, ${names.map(() => '?').join(', ')}, 0)`,
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
    );
    return id;
  }

  /** The rows with these ids, in this order (read in chunks: SQLite caps the parameters of one statement). */
  private async getMany(tx: SqlTx, ids: readonly string[]): Promise<R[]> {
    const byId = new Map<string, R>();
    for (let i = 0; i < ids.length; i += GET_MANY_CHUNK) {
      const chunk = ids.slice(i, i + GET_MANY_CHUNK);
      const rows = await tx.all<R>(
        `SELECT * FROM ${q(this.table.name)} WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) byId.set(r.id, r);
    }
    return ids.map((id) => byId.get(id)!);
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
      const row = await this.mustGet(tx, id);
      const queued = Object.keys(fields).length > 0;
      if (queued) {
        const nowIso = this.iso();
        if (this.updated !== undefined && fields[this.updated] === undefined)
          fields[this.updated] = nowIso;
        await this.change(tx, row, 'upsert', fields, nowIso, base);
      }
      // The text is now this very entry's, or still the one `base` names.
      const text = queued && writesText(this.table, fields);
      const after = queued ? ((await getRow(tx, this.table, id)) ?? row) : row;
      const next =
        base !== undefined && !text ? base : await textBaseOfRow(tx, this.table.name, after);
      const result = { row: after as unknown as R, base: next };
      return queued ? { result, id } : { result, id, queued: false as const };
    });
  }

  /** Soft-deletes a row (sets the deleted field); a no-op on a deleted row. */
  async remove(id: string): Promise<R> {
    return this.write(async (tx) => {
      const row = await this.mustGet(tx, id);
      if (row[this.table.deletedField] !== null)
        return { result: row as unknown as R, id, queued: false };
      const nowIso = this.iso();
      await this.change(tx, row, 'delete', { [this.table.deletedField]: nowIso }, nowIso);
      return { result: (await getRow(tx, this.table, id)) as unknown as R, id };
    });
  }

  /** Undoes a soft delete (writes null to the deleted field); a no-op on a live row. */
  async restore(id: string): Promise<R> {
    return this.write(async (tx) => {
      const row = await this.mustGet(tx, id);
      if (row[this.table.deletedField] === null)
        return { result: row as unknown as R, id, queued: false };
      await this.change(tx, row, 'upsert', { [this.table.deletedField]: null }, this.iso());
      return { result: (await getRow(tx, this.table, id)) as unknown as R, id };
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
    if (opts.search !== undefined && opts.search !== '' && this.table.searchFields.length > 0) {
      const pattern = `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        `(${this.table.searchFields.map((f) => `${q(f)} LIKE ? ESCAPE '\\'`).join(' OR ')})`,
      );
      for (const _ of this.table.searchFields) params.push(pattern);
    }
    return { where, params };
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

  private async mustGet(tx: SqlTx, id: string): Promise<LocalRow> {
    const row = await getRow(tx, this.table, id);
    if (!row) throw new FerryError(ErrorKind.notFound, `no ${this.table.name} row with id ${id}`);
    return row;
  }

  private async change(
    tx: SqlTx,
    row: LocalRow,
    op: 'upsert' | 'delete',
    fields: Record<string, unknown>,
    nowIso: string,
    base?: TextBase,
  ): Promise<void> {
    const hlc = await this.deps.clock.stamp(tx);
    await updateColumns(tx, this.table, row.id, fields, 0);
    await enqueue(
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
