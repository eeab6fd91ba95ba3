/**
 * What a client of each served schema version is answered through: the tables and fields its
 * app version declared (`tablesAt`), and the pull queries that read only those. Rows are still
 * read and written whole (push.ts uses the full declarations): a field an older client does not
 * know is neither sent to it nor changed by its writes.
 */
import { tablesAt, type Change, type MutationResult, type TableDecl } from '@ferry/protocol';
import { compactPageQuery } from './encode-page.ts';
import { pullQuery } from './pull.ts';
import { tableSql, type TableSql } from './rows.ts';

/** The schema one client version sees. */
export interface ServedView {
  readonly schemaVersion: number;
  /** The tables it knows, each with only the fields it knows. */
  readonly tables: ReadonlyMap<string, TableSql>;
  /**
   * Every table: those it knows as it knows them, the others whole. A page is read and cut from
   * all of them, so the cursor moves past rows the client is not sent; they are dropped after.
   */
  readonly paged: ReadonlyMap<string, TableSql>;
  readonly pullSql: string;
  /** `compactPageQuery` of `paged`: every compact page a query reads. */
  readonly compactPageSql: string;
}

/** One view per served schema version, `min` to `max`. */
export function servedViews(
  tables: readonly TableDecl[],
  min: number,
  max: number,
): ReadonlyMap<number, ServedView> {
  const views = new Map<number, ServedView>();
  const whole = tables.map(tableSql);
  for (let v = min; v <= max; v++) {
    const known = new Map(tablesAt(tables, v).map((t) => [t.name, tableSql(t)]));
    const paged = whole.map((s) => known.get(s.table.name) ?? s);
    views.set(v, {
      schemaVersion: v,
      tables: known,
      paged: new Map(paged.map((s) => [s.table.name, s])),
      pullSql: pullQuery(paged),
      compactPageSql: compactPageQuery(paged),
    });
  }
  return views;
}

/** A row with only the fields `t` declares (besides id and version). */
export function projectRow<R extends Record<string, unknown>>(t: TableDecl, row: R): R {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row))
    if (k === 'id' || k === 'version' || Object.hasOwn(t.fields, k)) out[k] = v;
  return out as R;
}

/** Changes with only the fields the view's client knows (rows of tables it does not know are dropped later). */
export function projectChanges(view: ServedView, changes: readonly Change[]): Change[] {
  return changes.map((c) => {
    const t = view.tables.get(c.table)?.table;
    return t === undefined ? c : { ...c, row: projectRow(t, c.row) };
  });
}

/** Conflict results carry the server's row: only the fields the client knows. */
export function projectResults(
  view: ServedView,
  results: MutationResult[],
  tableOf: (seq: number) => string | undefined,
): MutationResult[] {
  return results.map((r) => {
    if (r.status !== 'conflict' || r.row === null) return r;
    const t = view.tables.get(tableOf(r.seq) ?? '')?.table;
    return t === undefined ? r : { ...r, row: projectRow(t, r.row) };
  });
}
