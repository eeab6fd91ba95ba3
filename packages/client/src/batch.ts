import type { RunManyOptions, SqlTx, SqlValue } from './driver.ts';

/** Parameter rows of one statement. */
export type ParamRows = readonly (readonly SqlValue[])[];

/**
 * Runs `sql` once per row of `rows`, in order, all or nothing (see `SqlTx.runMany`; not on its
 * own with `opts.abortsTransaction`): natively when the driver has `runMany`, else one `run` per
 * row inside a savepoint.
 */
export async function runMany(
  tx: SqlTx,
  sql: string,
  rows: ParamRows,
  opts: RunManyOptions = {},
): Promise<{ changes: number }> {
  if (rows.length === 0) return { changes: 0 };
  if (tx.runMany) return tx.runMany(sql, rows, opts);
  if (opts.abortsTransaction === true) {
    let changes = 0;
    for (const r of rows) changes += (await tx.run(sql, r)).changes;
    return { changes };
  }
  await tx.exec('SAVEPOINT ferry_run_many');
  let changes = 0;
  try {
    for (const r of rows) changes += (await tx.run(sql, r)).changes;
  } catch (e) {
    await tx.exec('ROLLBACK TO ferry_run_many; RELEASE ferry_run_many');
    throw e;
  }
  await tx.exec('RELEASE ferry_run_many');
  return { changes };
}

/**
 * Executions of statements, kept in order and sent with `runMany`: consecutive executions of the
 * same SQL go together, a different SQL sends what is queued first. So the order of writes is
 * exactly the order of `add` calls; `flush` before anything that must see them (a query).
 */
export class OrderedBatch {
  private sql: string | null = null;
  private rows: SqlValue[][] = [];

  constructor(
    private readonly tx: SqlTx,
    private readonly opts: RunManyOptions = {},
  ) {}

  async add(sql: string, params: SqlValue[]): Promise<void> {
    if (this.sql !== null && this.sql !== sql) await this.flush();
    this.sql = sql;
    this.rows.push(params);
  }

  async flush(): Promise<void> {
    const { sql, rows } = this;
    if (sql === null) return;
    this.sql = null;
    this.rows = [];
    await runMany(this.tx, sql, rows, this.opts);
  }
}

/**
 * Executions whose relative order does not matter (each row's effect is independent of the
 * others'), grouped by SQL and sent with one `runMany` per statement on `flush`.
 */
export class GroupedBatch {
  private readonly bySql = new Map<string, SqlValue[][]>();

  constructor(
    private readonly tx: SqlTx,
    private readonly opts: RunManyOptions = {},
  ) {}

  add(sql: string, params: SqlValue[]): void {
    let rows = this.bySql.get(sql);
    if (!rows) this.bySql.set(sql, (rows = []));
    rows.push(params);
  }

  async flush(): Promise<void> {
    const all = [...this.bySql];
    this.bySql.clear();
    for (const [sql, rows] of all) await runMany(this.tx, sql, rows, this.opts);
  }
}
