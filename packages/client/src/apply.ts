import {
  textFields,
  uuidv7,
  type MutationResult,
  type Row,
  type SyncResponse,
  type TableDecl,
} from '@ferry/protocol';
import type { PersistentClock } from './clock.ts';
import { GroupedBatch, OrderedBatch, runMany } from './batch.ts';
import type { RunManyOptions, SqlTx, SqlValue } from './driver.ts';
import type { OutboxEntry } from './outbox.ts';
import { pendingFields, pendingFieldsOf } from './outbox.ts';
import { q, refreshSyncedSql, toSql, updateColumns } from './rows.ts';
import { StateKey, setState } from './state.ts';
import { TEXT_FROM_PULL_SQL, textFromPendingPull, textFromShadow } from './text-base.ts';
import { indexPending } from './search-index.ts';

/** What applying one response changed, for events and the sync outcome. */
export interface ApplySummary {
  acknowledged: number;
  pulled: number;
  /** Record ids whose local row changed, by table. */
  changed: Map<string, Set<string>>;
  conflicts: number;
  rejected: number;
}

/** Test seam: called between the steps of an apply, so a test can throw mid-way. */
export type ApplyProbe = (step: 'acknowledged' | 'pulled') => void;

const key = (table: string, id: string): string => `${table}\u0000${id}`;

/**
 * Every batch of an apply: a failure anywhere rolls back the whole transaction (the caller's
 * `transaction` rethrows), so a driver may run a batch without a savepoint of its own
 * (`RunManyOptions.abortsTransaction`).
 */
const WHOLE: RunManyOptions = { abortsTransaction: true };

const emptySummary = (): ApplySummary => ({
  acknowledged: 0,
  pulled: 0,
  changed: new Map(),
  conflicts: 0,
  rejected: 0,
});

/** One record of a declared table. */
interface RecordRef {
  readonly table: TableDecl;
  readonly id: string;
}

/** What the phases of one apply share. */
interface ApplyRun {
  readonly tx: SqlTx;
  readonly tables: ReadonlyMap<string, TableDecl>;
  readonly nowIso: string;
  readonly summary: ApplySummary;
  /** The shadow was empty before this apply; it only shrinks until the pulled rows are applied. */
  readonly shadowEmpty: boolean;
}

/** The records the acknowledged entries wrote, sorted by what happens to them next. */
interface Acknowledged {
  /** Every record an acknowledged entry wrote. */
  readonly touched: Map<string, RecordRef>;
  /** Records whose local change lost: the server's shadowed values come back. */
  readonly toRestore: Map<string, RecordRef>;
  /** Records whose change the server refused: they stay unsynced (the server never had it). */
  readonly refused: Set<string>;
  /** The server's rows sent with conflicts, applied like pulled rows. */
  readonly theirRows: { table: TableDecl; row: Row }[];
}

/** Records a local row as changed by this apply (for events). */
function markChanged(summary: ApplySummary, table: string, id: string): void {
  let s = summary.changed.get(table);
  if (!s) summary.changed.set(table, (s = new Set()));
  s.add(id);
}

/**
 * Applies one `/v1/sync` response inside ONE local transaction `tx` (the caller's), in phases:
 * 1. `acknowledge`: deletes exactly the sent entries the server acknowledged
 *    (`seq <= lastMutationSeq`), moving rejected ones to `rejected_changes` and recording
 *    conflicts; entries written while the request was in flight have higher seqs and were not
 *    sent, so they stay queued;
 * 2. `restoreLost`: puts back the server's values (from `shadow`) of fields whose change lost and
 *    is no longer pending;
 * 3. `applyPulled`: applies the pulled rows, except fields a queued entry still changes (those
 *    keep the local value, the server's is kept in `shadow`, and the row stays synced = 0);
 * 4. `refreshUnpulled`: recomputes `synced` of acknowledged records no pulled row rewrote;
 * 5. indexes the rows whose searched text changed (`indexPending`, one statement per table);
 * 6. advances the cursor and folds the server's HLC into the clock.
 * If anything throws, the transaction rolls back and none of it happened: the caller must let the
 * error leave its transaction (its batches run without savepoints of their own, `WHOLE`).
 */
export async function applyResponse(
  tx: SqlTx,
  tables: ReadonlyMap<string, TableDecl>,
  clock: PersistentClock,
  sent: readonly OutboxEntry[],
  res: SyncResponse,
  nowIso: string,
  opts: { resync?: boolean; probe?: ApplyProbe } = {},
): Promise<ApplySummary> {
  const acked = sent.filter((e) => e.seq <= res.lastMutationSeq);
  // Cleared first, in one call: the per-entry steps below only touch other rows of the queue.
  // Statements repeated per entry or per row go to the driver in batches (`runMany`: one IPC
  // round trip in the desktop app instead of one per statement). Order is kept wherever it matters.
  await runMany(
    tx,
    'DELETE FROM sync_queue WHERE seq = ?',
    acked.map((e) => [e.seq]),
    WHOLE,
  );
  const shadowEmpty = (await tx.all('SELECT 1 FROM shadow LIMIT 1')).length === 0;
  const run: ApplyRun = { tx, tables, nowIso, summary: emptySummary(), shadowEmpty };

  const ack = await acknowledge(run, acked, res.results);
  opts.probe?.('acknowledged');
  await restoreLost(run, ack.toRestore);
  const pulled = await applyPulled(run, ack.theirRows, res.changes, opts.resync ?? false);
  opts.probe?.('pulled');
  await refreshUnpulled(run, ack, pulled);
  for (const t of tables.values()) await indexPending(tx, t);
  await setState(tx, StateKey.cursor, res.cursor);
  await clock.receive(tx, res.serverHlc);
  return run.summary;
}

/** Phase 1: the server's result for each acknowledged entry (already out of the queue). */
async function acknowledge(
  run: ApplyRun,
  acked: readonly OutboxEntry[],
  resultList: readonly MutationResult[],
): Promise<Acknowledged> {
  const { tx, tables, nowIso, summary } = run;
  const results = new Map<number, MutationResult>(resultList.map((r) => [r.seq, r]));
  const out: Acknowledged = {
    touched: new Map(),
    toRestore: new Map(),
    refused: new Set(),
    theirRows: [],
  };
  // `version < ?` keeps the highest whatever the order.
  const versions = new GroupedBatch(tx, WHOLE);
  const rebases: SqlValue[][] = [];
  for (const e of acked) {
    const t = tables.get(e.table);
    const r = results.get(e.seq) ?? { seq: e.seq, status: 'duplicate' as const };
    summary.acknowledged++;
    if (!t) continue;
    const k = key(t.name, e.recordId);
    const rec = { table: t, id: e.recordId };
    out.touched.set(k, rec);
    switch (r.status) {
      case 'applied':
        versions.add(raiseVersionSql(t), [r.version, e.recordId, r.version]);
        // Later entries built on the same view of the row now build on the version this one made.
        rebases.push([r.version, t.name, e.recordId, e.baseVersion]);
        if (!run.shadowEmpty) await dropShadowFields(tx, t.name, e.recordId, Object.keys(e.fields));
        break;
      case 'conflict':
        await tx.run(
          'INSERT INTO conflicts (id, table_name, record_id, mine, theirs, detected_at) VALUES (?, ?, ?, ?, ?, ?)',
          [
            uuidv7(Date.parse(nowIso)),
            t.name,
            e.recordId,
            JSON.stringify(e.fields),
            r.row === null ? null : JSON.stringify(r.row),
            nowIso,
          ],
        );
        summary.conflicts++;
        if (r.row) out.theirRows.push({ table: t, row: r.row });
        out.toRestore.set(k, rec);
        break;
      case 'rejected':
        await recordRejected(tx, e, r.code, r.message, nowIso);
        summary.rejected++;
        out.refused.add(k);
        out.toRestore.set(k, rec);
        break;
      default:
        // superseded or duplicate: the server's value stands (it arrives in a pull, or is in shadow).
        if (r.status === 'superseded' && r.version !== undefined) {
          versions.add(raiseVersionSql(t), [r.version, e.recordId, r.version]);
        }
        out.toRestore.set(k, rec);
    }
  }
  await versions.flush();
  // In entry order: each rebase matches the base_version the previous ones left.
  await runMany(
    tx,
    'UPDATE sync_queue SET base_version = ? WHERE table_name = ? AND record_id = ? AND base_version IS ?',
    rebases,
    WHOLE,
  );
  return out;
}

/** Phase 2: the server's values of lost changes come back from the shadow. */
async function restoreLost(
  run: ApplyRun,
  toRestore: ReadonlyMap<string, RecordRef>,
): Promise<void> {
  for (const { table, id } of toRestore.values()) {
    if (await restoreShadow(run.tx, table, id)) markChanged(run.summary, table.name, id);
  }
}

/**
 * Phase 3: the conflicts' server rows, then the page's rows, in order. Returns the keys of the
 * records written.
 */
async function applyPulled(
  run: ApplyRun,
  theirRows: readonly { table: TableDecl; row: Row }[],
  changes: SyncResponse['changes'],
  resync: boolean,
): Promise<Set<string>> {
  const { tx, tables, summary } = run;
  const outboxEmpty = (await tx.all('SELECT 1 FROM sync_queue LIMIT 1')).length === 0;
  const pulled = new Set<string>();
  // The fields queued entries still write, for the whole page in one query (not one per row).
  const pendingOf = outboxEmpty
    ? null
    : await pendingFieldsOf(tx, [
        ...theirRows.map(({ table, row }) => ({ table: table.name, id: row.id })),
        ...changes
          .filter((c) => tables.has(c.table))
          .map((c) => ({ table: c.table, id: c.row.id })),
      ]);
  // Whole-row upserts in page order; a row with pending fields is written after them (flush).
  const upserts = new OrderedBatch(tx, WHOLE);
  // Per-record statements of other tables: rows with and without pending fields are different
  // records, so these need no order among themselves or with the upserts.
  const alongside = new GroupedBatch(tx, WHOLE);
  const applyRow = async (t: TableDecl, row: Row): Promise<void> => {
    const pending = pendingOf?.(t.name, row.id) ?? null;
    if (pending === null || pending.size === 0) {
      await upserts.add(...serverRowUpsert(t, row));
      if (!run.shadowEmpty)
        alongside.add('DELETE FROM shadow WHERE table_name = ? AND record_id = ?', [
          t.name,
          row.id,
        ]);
      // The local text is now the server's at this version (the base of the next edit).
      if (hasText(t)) alongside.add(TEXT_FROM_PULL_SQL, [t.name, row.id, row.version]);
    } else {
      await upserts.flush();
      await applyPendingRow(tx, t, row, pending);
      await textFromPendingPull(tx, t, row, pending);
    }
    if (resync)
      alongside.add('INSERT OR IGNORE INTO resync_seen (table_name, record_id) VALUES (?, ?)', [
        t.name,
        row.id,
      ]);
    pulled.add(key(t.name, row.id));
    markChanged(summary, t.name, row.id);
  };
  for (const { table, row } of theirRows) await applyRow(table, row);
  for (const c of changes) {
    const t = tables.get(c.table);
    // A table this build does not know (a newer schema): skip it rather than fail the whole sync.
    if (t) await applyRow(t, c.row);
    summary.pulled++;
  }
  await upserts.flush();
  await alongside.flush();
  return pulled;
}

/**
 * Phase 4: an acknowledged record no pulled row rewrote is synced again when nothing of it is
 * queued any more (a refused one stays unsynced).
 */
async function refreshUnpulled(
  run: ApplyRun,
  ack: Acknowledged,
  pulled: ReadonlySet<string>,
): Promise<void> {
  const resynced = new GroupedBatch(run.tx, WHOLE);
  for (const [k, { table, id }] of ack.touched) {
    if (!pulled.has(k) && !ack.refused.has(k))
      resynced.add(refreshSyncedSql(table), [table.name, id, id]);
  }
  await resynced.flush();
}

/** Keeps a refused entry in `rejected_changes` with the reason. */
async function recordRejected(
  tx: SqlTx,
  e: OutboxEntry,
  code: string,
  message: string,
  nowIso: string,
): Promise<void> {
  await tx.run(
    'INSERT INTO rejected_changes (id, table_name, record_id, operation, fields, hlc, code, message, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      uuidv7(Date.parse(nowIso)),
      e.table,
      e.recordId,
      e.op,
      JSON.stringify(e.fields),
      e.hlc,
      code,
      message,
      nowIso,
    ],
  );
}

/**
 * Sets a queued entry aside without a server result for it: the server refused every request
 * that carried it (a 413 for it alone, or a whole-request 400; see push-budget.ts). Like a
 * `rejected` result: the entry moves to `rejected_changes`, the record stays unsynced, and the
 * server's values of shadowed fields no queued entry still writes are put back.
 */
export async function setAside(
  tx: SqlTx,
  tables: ReadonlyMap<string, TableDecl>,
  e: OutboxEntry,
  code: string,
  message: string,
  nowIso: string,
): Promise<ApplySummary> {
  const summary = emptySummary();
  const { changes } = await tx.run('DELETE FROM sync_queue WHERE seq = ?', [e.seq]);
  if (changes === 0) return summary;
  await recordRejected(tx, e, code, message, nowIso);
  summary.acknowledged = 1;
  summary.rejected = 1;
  const t = tables.get(e.table);
  if (t && (await restoreShadow(tx, t, e.recordId)))
    summary.changed.set(t.name, new Set([e.recordId]));
  return summary;
}

const withText = new WeakMap<TableDecl, boolean>();

/** Whether the table has text fields (`textFields`, worked out once per declaration, not per row). */
function hasText(t: TableDecl): boolean {
  let v = withText.get(t);
  if (v === undefined) withText.set(t, (v = textFields(t).length > 0));
  return v;
}

/** Raises a row's version to `?` unless it is already there or beyond. */
const raiseVersionSql = (t: TableDecl): string =>
  `UPDATE ${q(t.name)} SET version = ? WHERE id = ? AND version < ?`;

const upsertSql = new WeakMap<TableDecl, Map<string, string>>();

/** The whole-row upsert for a set of columns, built once per table and column set. */
function upsertFor(t: TableDecl, names: readonly string[]): string {
  let m = upsertSql.get(t);
  if (!m) upsertSql.set(t, (m = new Map<string, string>()));
  const k = names.join(',');
  let sql = m.get(k);
  if (sql === undefined) {
    const cols = ['id', ...names];
    sql =
      `INSERT INTO ${q(t.name)} (${cols.map(q).join(', ')}, synced) VALUES (${cols.map(() => '?').join(', ')}, 1) ` +
      `ON CONFLICT (id) DO UPDATE SET ${names.map((n) => `${q(n)} = excluded.${q(n)}`).join(', ')}, synced = 1`;
    m.set(k, sql);
  }
  return sql;
}

const declaredFields = new WeakMap<TableDecl, readonly string[]>();
const fullUpsert = new WeakMap<TableDecl, string>();

/** A pulled row with nothing pending: the server's row, whole and synced (statement and parameters). */
function serverRowUpsert(t: TableDecl, row: Row): [string, SqlValue[]] {
  let all = declaredFields.get(t);
  if (!all) declaredFields.set(t, (all = Object.keys(t.fields)));
  const params: SqlValue[] = [row.id];
  let complete = true;
  for (const n of all) {
    if (Object.hasOwn(row, n)) params.push(toSql(row[n]));
    else complete = false;
  }
  if (!complete)
    return [
      upsertFor(
        t,
        all.filter((f) => Object.hasOwn(row, f)),
      ),
      params,
    ];
  // Usually every declared field is there: the table's one statement, no key to build per row.
  let sql = fullUpsert.get(t);
  if (sql === undefined) fullUpsert.set(t, (sql = upsertFor(t, all)));
  return [sql, params];
}

/**
 * Writes a pulled row some queued local changes still write: fields in `pending` keep their
 * local value and the server's value goes to `shadow`; the row stays unsynced.
 */
async function applyPendingRow(
  tx: SqlTx,
  t: TableDecl,
  row: Row,
  pending: Set<string>,
): Promise<void> {
  const names = Object.keys(t.fields).filter((f) => Object.hasOwn(row, f));
  const theirs: Record<string, unknown> = {};
  const mine: Record<string, unknown> = {};
  for (const n of names) {
    if (pending.has(n)) theirs[n] = row[n];
    else mine[n] = row[n];
  }
  const exists = await tx.all(`SELECT 1 FROM ${q(t.name)} WHERE id = ?`, [row.id]);
  if (exists.length === 0) {
    // Queued changes for a row that is not here cannot happen through the API; take the server's row whole.
    const cols = ['id', ...names];
    await tx.run(
      `INSERT INTO ${q(t.name)} (${cols.map(q).join(', ')}, synced) VALUES (${cols.map(() => '?').join(', ')}, 0)`,
      cols.map((c) => toSql(row[c])),
    );
  } else {
    await updateColumns(tx, t, row.id, mine, 0);
  }
  await tx.run(
    'INSERT INTO shadow (table_name, record_id, fields) VALUES (?, ?, ?) ON CONFLICT (table_name, record_id) DO UPDATE SET fields = excluded.fields',
    [t.name, row.id, JSON.stringify(theirs)],
  );
}

async function readShadow(
  tx: SqlTx,
  table: string,
  id: string,
): Promise<Record<string, unknown> | null> {
  const [r] = await tx.all<{ fields: string }>(
    'SELECT fields FROM shadow WHERE table_name = ? AND record_id = ?',
    [table, id],
  );
  return r ? (JSON.parse(r.fields) as Record<string, unknown>) : null;
}

async function writeShadow(
  tx: SqlTx,
  table: string,
  id: string,
  fields: Record<string, unknown>,
): Promise<void> {
  if (Object.keys(fields).length === 0)
    await tx.run('DELETE FROM shadow WHERE table_name = ? AND record_id = ?', [table, id]);
  else
    await tx.run('UPDATE shadow SET fields = ? WHERE table_name = ? AND record_id = ?', [
      JSON.stringify(fields),
      table,
      id,
    ]);
}

/** Forgets the shadow of fields whose local change won: the pull brings their new server value. */
async function dropShadowFields(
  tx: SqlTx,
  table: string,
  id: string,
  fields: string[],
): Promise<void> {
  const s = await readShadow(tx, table, id);
  if (!s) return;
  for (const f of fields) delete s[f];
  await writeShadow(tx, table, id, s);
}

/** Puts back the server's value of every shadowed field no queued entry changes any more. */
async function restoreShadow(tx: SqlTx, t: TableDecl, id: string): Promise<boolean> {
  const s = await readShadow(tx, t.name, id);
  if (!s) return false;
  const pending = await pendingFields(tx, t.name, id);
  const back: Record<string, unknown> = {};
  for (const f of Object.keys(s)) {
    if (!pending.has(f)) {
      back[f] = s[f];
      delete s[f];
    }
  }
  await updateColumns(tx, t, id, back, null);
  await textFromShadow(tx, t, id, back);
  await writeShadow(tx, t.name, id, s);
  return Object.keys(back).length > 0;
}
