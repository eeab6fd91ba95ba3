import { Limits, type Mutation, type MutationOp, type TableDecl } from '@ferry/protocol';
import type { SqlTx } from './driver.ts';

/** One queued local change (a `sync_queue` row, decoded). */
export interface OutboxEntry {
  seq: number;
  table: string;
  recordId: string;
  op: MutationOp;
  fields: Record<string, unknown>;
  hlc: string;
  baseVersion: number | null;
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
  created_at: string;
}

const decode = (r: OutboxRow): OutboxEntry => ({
  seq: r.seq,
  table: r.table_name,
  recordId: r.record_id,
  op: r.operation,
  fields: JSON.parse(r.fields) as Record<string, unknown>,
  hlc: r.hlc,
  baseVersion: r.base_version,
  createdAt: r.created_at,
});

/** Appends a mutation to the outbox; returns its seq. */
export async function enqueue(tx: SqlTx, e: Omit<OutboxEntry, 'seq'>): Promise<void> {
  await tx.run(
    'INSERT INTO sync_queue (table_name, record_id, operation, fields, hlc, base_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [e.table, e.recordId, e.op, JSON.stringify(e.fields), e.hlc, e.baseVersion, e.createdAt],
  );
}

/**
 * The next batch to push: the oldest entries in seq order, at most `limit`. For a table under the
 * version policy the batch stops before a second entry for the same record, because the second
 * was based on the version the first one is about to change; after the first is acknowledged its
 * successors are rebased (see apply). The batch is always a prefix of the queue, since the server
 * treats every seq at or below the highest it has seen as a duplicate.
 */
export async function nextBatch(tx: SqlTx, tables: ReadonlyMap<string, TableDecl>, limit: number = Limits.maxMutationsPerRequest): Promise<OutboxEntry[]> {
  const rows = await tx.all<OutboxRow>('SELECT * FROM sync_queue ORDER BY seq LIMIT ?', [limit]);
  const out: OutboxEntry[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (tables.get(r.table_name)?.policy === 'version') {
      const key = `${r.table_name}\u0000${r.record_id}`;
      if (seen.has(key)) break;
      seen.add(key);
    }
    out.push(decode(r));
  }
  return out;
}

/** The wire form of an entry. */
export function toMutation(e: OutboxEntry): Mutation {
  return { seq: e.seq, table: e.table, id: e.recordId, op: e.op, fields: e.fields, hlc: e.hlc, baseVersion: e.baseVersion };
}

/** The fields some queued (unacknowledged) entry still writes for one record. Uses the (table_name, record_id) index. */
export async function pendingFields(tx: SqlTx, table: string, recordId: string): Promise<Set<string>> {
  const rows = await tx.all<{ fields: string }>('SELECT fields FROM sync_queue WHERE table_name = ? AND record_id = ?', [table, recordId]);
  const out = new Set<string>();
  for (const r of rows) for (const k of Object.keys(JSON.parse(r.fields) as object)) out.add(k);
  return out;
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
