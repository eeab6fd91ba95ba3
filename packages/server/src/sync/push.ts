/**
 * A push: a request's mutations applied in one transaction, in phases (see `push`).
 */
import {
  type Change,
  type HlcClock,
  type Mutation,
  type MutationResult,
  type SyncRequest,
} from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import { fail } from '../http/errors.ts';
import { USER_PREFIX } from '../events/poke-hub.ts';
import { claimedClient, lockUserAndClaim } from './claim.ts';
import {
  confirmedAfter,
  freshDigests,
  mutationDigest,
  reusedSeqs,
  type ClientLineage,
} from './lineage.ts';
import { wireRow, type StoredRow } from './merge.ts';
import { MergePass } from './merge-pass.ts';
import { loadRows, upsertRows, type TableSql } from './rows.ts';
import { TextBases } from './text-bases.ts';

/** What the push path needs from the server. */
export interface PushContext {
  readonly tables: ReadonlyMap<string, TableSql>;
  readonly clock: HlcClock;
  readonly maxClockDriftMs: number;
  readonly now: () => number;
  /** See MERGE_BUDGET_MS in merge-pass.ts (tests set it low). */
  readonly mergeBudgetMs?: number;
}

/** The outcome of one push transaction. */
export interface PushOutcome {
  readonly results: MutationResult[];
  readonly lastMutationSeq: number;
  /** The user's position after the push, when it moved. */
  readonly newPosition: bigint | null;
  /**
   * When the request's cursor was the user's position before the push, the changes after it are
   * exactly the rows this push wrote, in position order: the pull needs no query.
   */
  readonly changesIfCurrent: Change[] | null;
  /** Every row this push wrote, with its new position (for compact pages: see encode-page.ts). */
  readonly written: readonly WrittenRow[];
  readonly counts: Readonly<Record<MutationResult['status'], number>>;
  /** The latest stamp of this user's own mutations (see `userHlc`). */
  readonly userHlc: string;
}

/** A row a push wrote, and the position it got. */
export interface WrittenRow {
  readonly table: string;
  readonly row: StoredRow;
  readonly position: bigint;
}

/**
 * The `serverHlc` a user is sent: the server's clock, or the latest stamp of the user's own
 * mutations when that is later (a device of the user whose clock runs ahead, within the drift
 * limit). Each of the user's devices then stamps after every write of the user it has seen, as
 * the HLC rules need; other users never see that clock.
 */
export function userServerHlc(serverNow: string, userHlc: string): string {
  return userHlc > serverNow ? userHlc : serverNow;
}

/** 410 when the cursor predates purged tombstones: the client may have missed a deletion. */
export function checkCursor(cursor: string, purged: bigint): void {
  if (cursor !== '0' && BigInt(cursor) < purged) {
    fail(
      'resync_required',
      `cursor ${cursor} is older than the tombstone retention; pull again from "0"`,
    );
  }
}

/**
 * Applies a request's mutations in one transaction (the caller's `tx`), in phases: lock the
 * user's row and claim the client id (`lockUserAndClaim`: this user's pushes run one at a time
 * and the positions they hand out commit in order, which is what makes "seen n ⇒ seen everything
 * ≤ n" true for pulls); find reused seqs; load the rows the mutations touch and their text bases;
 * merge each mutation in memory (`MergePass`); write the changed rows with their new positions;
 * record the client's seqs, the user's position and the poke (`recordPush`).
 */
export async function push(
  tx: Queryable,
  ctx: PushContext,
  userId: string,
  req: SyncRequest,
  /** The device name of the caller's login, linked to `req.clientId` (see `claimClient`). */
  deviceName: string | null = null,
  /** The tables as the client's schema version declares them (default: the server's own). */
  known: ReadonlyMap<string, TableSql> = ctx.tables,
): Promise<PushOutcome> {
  // Before the lock, not under it: the digests of what this request asks (see lineage.ts).
  const digests = new Map(req.mutations.map((m) => [m.seq, mutationDigest(m)]));
  const user = await lockUserAndClaim(tx, userId, req.clientId, deviceName);
  checkCursor(req.cursor, user.purgedPosition);
  const client = await claimedClient(tx, userId, req.clientId, deviceName, user);
  const reused = await reusedOrRefused(tx, req, client);

  const fresh = req.mutations.filter((m) => m.seq > client.lastSeq);
  const current = await loadTouched(tx, ctx, userId, fresh);
  // The texts this request's edits of text fields were made on (see text-bases.ts).
  const bases = new TextBases(tx, userId, req.clientId);
  await bases.prefetch(tableDecls(ctx.tables), fresh, current);

  const pass = new MergePass(ctx, req, { client, reused, current, bases, known }, user.maxHlc);
  for (const m of req.mutations) await pass.merge(m);

  const perTable = await writeTouched(tx, ctx, userId, pass.touched, BigInt(user.position));
  await bases.flush();

  const maxSeq = req.mutations.reduce((a, m) => Math.max(a, m.seq), 0);
  const lastMutationSeq = Math.max(client.lastSeq, maxSeq);
  const position = BigInt(user.position) + BigInt(pass.touched.size);
  const newPosition = pass.touched.size > 0 ? position : null;
  await recordPush(tx, {
    userId,
    req,
    client,
    lastMutationSeq,
    position,
    moved: newPosition !== null,
    userHlc: pass.userHlc,
    hlcMoved: pass.userHlc > user.maxHlc,
    digests,
  });
  const written: WrittenRow[] = [];
  for (const [table, list] of perTable) for (const r of list) written.push({ table, ...r });
  return {
    results: pass.results,
    lastMutationSeq,
    newPosition,
    counts: pass.counts,
    changesIfCurrent: req.cursor === user.position ? changesOf(written) : null,
    written,
    userHlc: pass.userHlc,
  };
}

/**
 * The seqs of this request that the client id already used for other mutations. A client that
 * can take a new client id (`clientReset`) is told to (409 `client_id_reused`); for an older one
 * they are rejected one by one (see `MergePass`).
 */
async function reusedOrRefused(
  tx: Queryable,
  req: SyncRequest,
  client: ClientLineage,
): Promise<Set<number>> {
  const old = req.mutations.filter((m) => m.seq <= client.lastSeq);
  const reused =
    old.length === 0 ? new Set<number>() : await reusedSeqs(tx, req.clientId, client, old);
  if (reused.size > 0 && req.clientReset === true) {
    fail(
      'client_id_reused',
      `seq ${Math.min(...reused)} of this clientId was already used by a different mutation (a copied or restored database?): take a new clientId and send the queue again`,
    );
  }
  return reused;
}

/** Each touched row as stored now (`null`: not there), by table and id; one query per table. */
async function loadTouched(
  tx: Queryable,
  ctx: PushContext,
  userId: string,
  fresh: readonly Mutation[],
): Promise<Map<string, Map<string, StoredRow | null>>> {
  const ids = new Map<string, Set<string>>();
  for (const m of fresh) {
    if (!ctx.tables.has(m.table)) continue;
    let s = ids.get(m.table);
    if (!s) ids.set(m.table, (s = new Set()));
    s.add(m.id);
  }
  const current = new Map<string, Map<string, StoredRow | null>>();
  for (const [table, set] of ids) {
    const loaded = await loadRows(tx, ctx.tables.get(table)!, userId, [...set]);
    const state = new Map<string, StoredRow | null>();
    for (const id of set) state.set(id, loaded.get(id) ?? null);
    current.set(table, state);
  }
  return current;
}

/**
 * Hands out positions after `from` in last-change order and writes each table's rows in one
 * statement. Returns the rows written with their positions, by table.
 */
async function writeTouched(
  tx: Queryable,
  ctx: PushContext,
  userId: string,
  touched: ReadonlyMap<string, { table: string; row: StoredRow }>,
  from: bigint,
): Promise<Map<string, { row: StoredRow; position: bigint }[]>> {
  let position = from;
  const perTable = new Map<string, { row: StoredRow; position: bigint }[]>();
  for (const { table, row } of touched.values()) {
    position += 1n;
    let list = perTable.get(table);
    if (!list) perTable.set(table, (list = []));
    list.push({ row, position });
  }
  for (const [table, list] of perTable) {
    const sql = ctx.tables.get(table);
    if (!sql) throw new Error(`a merge made ${table} rows, but the server does not serve ${table}`);
    await upsertRows(tx, sql, userId, list);
  }
  return perTable;
}

/** What `recordPush` records. */
interface PushRecord {
  readonly userId: string;
  readonly req: SyncRequest;
  readonly client: ClientLineage;
  readonly lastMutationSeq: number;
  /** The user's position after the push. */
  readonly position: bigint;
  /** The push wrote rows: the position moved. */
  readonly moved: boolean;
  readonly userHlc: string;
  /** The user's latest stamp moved. */
  readonly hlcMoved: boolean;
  /** Each mutation's digest, by seq. */
  readonly digests: ReadonlyMap<number, Buffer>;
}

/**
 * One round trip for the bookkeeping: the client's seqs and digests (see lineage.ts), the
 * user's position, and the poke (NOTIFY is delivered on commit only, so no listener is poked
 * for a change it cannot pull). Every change of what position-cache.ts keeps notifies. The
 * digests deleted (<= confirmed) and inserted (> lastSeq) never overlap: confirmed < the
 * request's first seq.
 */
async function recordPush(tx: Queryable, p: PushRecord): Promise<void> {
  const confirmed = confirmedAfter(p.client, p.req.mutations);
  const digests = freshDigests(p.client, p.req.mutations, (m) => p.digests.get(m.seq)!);
  await tx.query(
    `WITH c AS (UPDATE clients SET last_mutation_seq = GREATEST(last_mutation_seq, $3),
                  confirmed_seq = GREATEST(confirmed_seq, $7) WHERE client_id = $2),
          d AS (DELETE FROM client_digests WHERE client_id = $2 AND seq <= $7 AND $8::boolean),
          i AS (INSERT INTO client_digests (client_id, seq, digest)
                SELECT $2, s, g FROM unnest($9::bigint[], $10::bytea[]) AS x(s, g)
                ON CONFLICT DO NOTHING),
          u AS (UPDATE users SET position = CASE WHEN $5::boolean THEN $4 ELSE position END,
                  max_hlc = GREATEST(max_hlc, $11) WHERE id = $1 AND ($5::boolean OR max_hlc < $11))
     SELECT CASE WHEN $5::boolean THEN pg_notify('ferry_poke', $6::text)
                 WHEN $12::boolean THEN pg_notify('ferry_poke', $13::text) END`,
    [
      p.userId,
      p.req.clientId,
      p.lastMutationSeq,
      p.position.toString(),
      p.moved,
      `${p.userId}:${p.position}`,
      confirmed,
      confirmed > p.client.confirmedSeq,
      digests.seqs,
      digests.digests,
      p.userHlc,
      // The seq or the HLC moved but not the position: caches elsewhere must still hear of it.
      p.lastMutationSeq > p.client.lastSeq || p.hlcMoved,
      `${USER_PREFIX}${p.userId}`,
    ],
    true,
  );
}

/**
 * The changes after the request's cursor when it was the user's position before the push: the
 * rows this push wrote, in position order.
 */
function changesOf(written: readonly WrittenRow[]): Change[] {
  return written
    .map((r) => ({ table: r.table, seq: r.position.toString(), row: wireRow(r.row) }))
    .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}

/** The table declarations behind the prepared SQL. */
function tableDecls(tables: ReadonlyMap<string, TableSql>): ReadonlyMap<string, TableSql['table']> {
  return new Map([...tables].map(([name, sql]) => [name, sql.table]));
}
