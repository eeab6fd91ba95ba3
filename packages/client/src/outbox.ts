import { Limits, type Mutation, type MutationOp, type TableDecl } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';
import { currentTextBase, textFromLastEntry, writesText, type TextBase } from './text-base.ts';

/** One queued local change (a `sync_queue` row, decoded). */
export interface OutboxEntry {
  seq: number;
  table: string;
  recordId: string;
  op: MutationOp;
  fields: Record<string, unknown>;
  hlc: string;
  baseVersion: number | null;
  /** Text merge: the text fields were edited on this device's own text of entry `baseSeq`. */
  baseSeq?: number | null;
  /** Text merge: or on the server's text of this version (never rebased, unlike `baseVersion`). */
  textVersion?: number | null;
  createdAt: string;
}

interface OutboxRow {
  seq: number;
  table_name: string;
  record_id: string;
  operation: MutationOp;
  fields: string;
  hlc: string;
  base_version: number | null;
  base_seq: number | null;
  text_version: number | null;
  created_at: string;
}

const decode = (r: OutboxRow): OutboxEntry => ({
  seq: r.seq,
  table: r.table_name,
  recordId: r.record_id,
  op: r.operation,
  fields: parseFields(r.fields),
  hlc: r.hlc,
  baseVersion: r.base_version,
  baseSeq: r.base_seq,
  textVersion: r.text_version,
  createdAt: r.created_at,
});

/**
 * The stored JSON of an entry's fields. The engine only ever stores an object; text that does not
 * parse (a hand edit, a bug of another build) is passed on as the string it is: the server answers
 * 400 to every request that carries it, and push-budget.ts narrows that down to this one entry and
 * sets it aside, instead of failing every sync.
 */
function parseFields(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text as unknown as Record<string, unknown>;
  }
}

/**
 * Appends a mutation to the outbox. With the table's declaration, an entry that writes a text
 * field is sent with the base of its text: `textBase` when the caller read the text earlier (an
 * editor) or knows it, else the base of the local text now (see text-base.ts); the entry becomes
 * that base, and its seq is returned (null for an entry that writes no text).
 */
export async function enqueue(
  tx: SqlTx,
  e: Omit<OutboxEntry, 'seq'>,
  table?: TableDecl,
  textBase?: TextBase,
): Promise<number | null> {
  const text = table !== undefined && writesText(table, e.fields);
  const base = text ? (textBase ?? (await currentTextBase(tx, e.table, e.recordId))) : null;
  await tx.run(
    'INSERT INTO sync_queue (table_name, record_id, operation, fields, hlc, base_version, base_seq, text_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      e.table,
      e.recordId,
      e.op,
      JSON.stringify(e.fields),
      e.hlc,
      e.baseVersion,
      base?.baseSeq ?? null,
      base?.textVersion ?? null,
      e.createdAt,
    ],
  );
  return text ? textFromLastEntry(tx, e.table, e.recordId) : null;
}

/** How much one batch may hold. */
export interface BatchLimits {
  /** Most entries. */
  count: number;
  /** Most bytes of the entries' JSON; the first entry is taken even when it alone is larger. */
  bytes: number;
}

/** A queued entry with the size of its wire form. */
export interface SizedEntry extends OutboxEntry {
  /** Bytes (UTF-8) of this entry's mutation as JSON, see ENTRY_OVERHEAD_BYTES. */
  bytes: number;
}

/**
 * Bytes a mutation's JSON takes besides its `fields`, `table`, `id` and `hlc` text: the keys, `seq`,
 * `op`, `baseVersion`, `baseSeq` (at most 16 digits each), quotes, braces and the comma between
 * mutations: about 130, rounded up. `fields` is stored as the very JSON that is sent, and the engine's table
 * names, ids and stamps need no escaping, so `octet_length` of those columns plus this is an upper
 * bound of the real size for every entry the engine writes (outbox.test.ts checks it).
 */
export const ENTRY_OVERHEAD_BYTES = 160;

/**
 * The next batch to push: the oldest entries in seq order, at most `limits.count` of them and at
 * most `limits.bytes` of JSON (but always at least one entry, however large). For a table under
 * the version policy the batch stops before a second entry for the same record, because the
 * second was based on the version the first one is about to change; after the first is
 * acknowledged its successors are rebased (see apply). The batch is always a prefix of the queue,
 * since the server treats every seq at or below the highest it has seen as a duplicate.
 *
 * Sizes are read first without the entries' contents (`octet_length` of a column needs only the
 * record header), so a queue of large rows costs only the batch it sends.
 */
export async function nextBatch(
  tx: SqlTx,
  tables: ReadonlyMap<string, TableDecl>,
  limits: Partial<BatchLimits> | number = {},
): Promise<SizedEntry[]> {
  const count =
    typeof limits === 'number' ? limits : (limits.count ?? Limits.maxMutationsPerRequest);
  const budget = typeof limits === 'number' ? Infinity : (limits.bytes ?? Infinity);
  const heads = await tx.all<{ seq: number; table_name: string; record_id: string; bytes: number }>(
    `SELECT seq, table_name, record_id, octet_length(fields) + octet_length(table_name) + octet_length(record_id) + octet_length(hlc) + ${ENTRY_OVERHEAD_BYTES} AS bytes FROM sync_queue ORDER BY seq LIMIT ?`,
    [count],
  );
  const seen = new Set<string>();
  let total = 0;
  let n = 0;
  for (const h of heads) {
    if (tables.get(h.table_name)?.policy === 'version') {
      const key = `${h.table_name}\u0000${h.record_id}`;
      if (seen.has(key)) break;
      seen.add(key);
    }
    if (n > 0 && total + h.bytes > budget) break;
    total += h.bytes;
    n++;
  }
  const last = heads[n - 1];
  if (!last) return [];
  const rows = await tx.all<OutboxRow>(
    'SELECT * FROM sync_queue WHERE seq <= ? ORDER BY seq LIMIT ?',
    [last.seq, n],
  );
  return rows.map((r, i) => ({ ...decode(r), bytes: heads[i]?.bytes ?? 0 }));
}

/** The wire form of an entry. */
export function toMutation(e: OutboxEntry): Mutation {
  return {
    seq: e.seq,
    table: e.table,
    id: e.recordId,
    op: e.op,
    fields: e.fields,
    hlc: e.hlc,
    baseVersion: e.textVersion ?? e.baseVersion,
    ...(e.baseSeq != null ? { baseSeq: e.baseSeq } : {}),
  };
}

/** The fields some queued (unacknowledged) entry still writes for one record. Uses the (table_name, record_id) index. */
export async function pendingFields(
  tx: SqlTx,
  table: string,
  recordId: string,
): Promise<Set<string>> {
  const rows = await tx.all<{ fields: string }>(
    'SELECT fields FROM sync_queue WHERE table_name = ? AND record_id = ?',
    [table, recordId],
  );
  const out = new Set<string>();
  for (const r of rows) {
    const f = parseFields(r.fields);
    if (typeof f === 'object' && f !== null) for (const k of Object.keys(f)) out.add(k);
  }
  return out;
}

/** The fields queued entries still write, by table and record id (see `pendingFieldsOf`). */
export type PendingLookup = (table: string, recordId: string) => Set<string> | null;

/**
 * `pendingFields` for many records in ONE query (a pulled page): the records travel as one JSON
 * array, joined to the (table_name, record_id) index. Returns a lookup; null for a record with
 * nothing queued.
 */
export async function pendingFieldsOf(
  tx: SqlTx,
  records: readonly { table: string; id: string }[],
): Promise<PendingLookup> {
  const byTable = new Map<string, Map<string, Set<string>>>();
  if (records.length > 0) {
    const rows = await tx.all<{ table_name: string; record_id: string; fields: string }>(
      `SELECT q.table_name, q.record_id, q.fields FROM json_each(?) AS r
       JOIN sync_queue AS q ON q.table_name = json_extract(r.value, '$[0]') AND q.record_id = json_extract(r.value, '$[1]')`,
      [JSON.stringify(records.map((r) => [r.table, r.id]))],
    );
    for (const r of rows) {
      let ids = byTable.get(r.table_name);
      if (!ids) byTable.set(r.table_name, (ids = new Map<string, Set<string>>()));
      let set = ids.get(r.record_id);
      if (!set) ids.set(r.record_id, (set = new Set()));
      const f = parseFields(r.fields);
      if (typeof f === 'object' && f !== null) for (const k of Object.keys(f)) set.add(k);
    }
  }
  return (table, recordId) => byTable.get(table)?.get(recordId) ?? null;
}

/** How many entries are queued. */
export async function outboxCount(tx: SqlTx): Promise<number> {
  const [r] = await tx.all<{ n: number }>('SELECT count(*) AS n FROM sync_queue');
  return r?.n ?? 0;
}

/** The highest queued seq, or 0. */
export async function maxSeq(tx: SqlTx): Promise<number> {
  const [r] = await tx.all<{ m: number | null }>('SELECT max(seq) AS m FROM sync_queue');
  return r?.m ?? 0;
}

/** Every queued entry in seq order (for inspection and tests). */
export async function allEntries(tx: SqlTx): Promise<OutboxEntry[]> {
  return (await tx.all<OutboxRow>('SELECT * FROM sync_queue ORDER BY seq')).map(decode);
}
