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
import { claimedClient, lockUser, readUserAndClaim, type LockedUser } from './claim.ts';
import {
  confirmedAfter,
  freshDigests,
  mutationDigest,
  reusedSeqs,
  type ClientLineage,
} from './lineage.ts';
import { wireRow, type StoredRow } from './merge.ts';
import { MergePass } from './merge-pass.ts';
import {
  prepareWrite,
  runWrite,
  type Locked,
  type PreparedWrite,
  type RowToWrite,
} from './push-write.ts';
import { loadRowsAt, type TableSql } from './rows.ts';
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
 * Applies a request's mutations in one transaction (the caller's `tx`). Before the user's lock,
 * `plan` does the work: claims the client id, finds reused seqs, loads the rows the mutations
 * touch and their text bases, merges each mutation in memory (`MergePass`) and builds the one
 * statement that writes it all (push-write.ts). Then the lock on the user's row (this user's
 * pushes run one at a time and the positions they hand out commit in order, which is what makes
 * "seen n ⇒ seen everything ≤ n" true for pulls), and the write, which checks first that what
 * the plan read is unchanged. When it is not (another push of the user's rows, or of this client,
 * committed in between), nothing was written and the push plans again, under the lock.
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
  const digests = new Map(req.mutations.map((m) => [m.seq, mutationDigest(m)]));
  const planned = (): Promise<Plan> => plan(tx, ctx, { userId, req, deviceName, known, digests });
  let p = await planned();
  const user = await lockUser(tx, userId);
  checkCursor(req.cursor, user.purgedPosition);
  if (!(await runWrite(tx, p.write, lockedFor(p, user)))) {
    p = await planned();
    // Under the lock what it read cannot change (see push-write.ts).
    if (!(await runWrite(tx, p.write, lockedFor(p, user))))
      throw new Error('a push planned under the user lock found its reads changed');
  }
  return outcome(p, user, req.cursor);
}

/** What a push decided before writing (see `plan`). */
interface Plan {
  readonly pass: MergePass;
  /** The rows to write by table, with their places among the new positions. */
  readonly rows: ReadonlyMap<string, readonly RowToWrite[]>;
  readonly write: PreparedWrite;
  readonly lastMutationSeq: number;
}

/** What `plan` is given. */
interface PlanInput {
  readonly userId: string;
  readonly req: SyncRequest;
  readonly deviceName: string | null;
  readonly known: ReadonlyMap<string, TableSql>;
  /** Each mutation's digest, by seq. */
  readonly digests: ReadonlyMap<number, Buffer>;
}

/**
 * Reads, merges and builds the push's write. It asks for no lock itself: `push` calls it before
 * the user's lock, and again under it when the write found its reads out of date (a new client
 * id's first `clients` row, inserted here, holds that row's lock until commit).
 */
async function plan(tx: Queryable, ctx: PushContext, i: PlanInput): Promise<Plan> {
  const { userId, req } = i;
  const read = await readUserAndClaim(tx, userId, req.clientId, i.deviceName);
  // Checked again under the lock; a cursor that is already too old is refused now.
  checkCursor(req.cursor, read.purgedPosition);
  const client = await claimedClient(tx, userId, req.clientId, i.deviceName, read);
  const reused = await reusedOrRefused(tx, req, client);

  const fresh = req.mutations.filter((m) => m.seq > client.lastSeq);
  const { current, positions } = await loadTouched(tx, ctx, userId, fresh);
  // The texts this request's edits of text fields were made on (see text-bases.ts).
  const bases = new TextBases(tx, userId, req.clientId);
  await bases.prefetch(tableDecls(ctx.tables), fresh, current);

  const pass = new MergePass(
    ctx,
    req,
    { client, reused, current, bases, known: i.known },
    read.maxHlc,
  );
  for (const m of req.mutations) await pass.merge(m);

  const rows = placed(pass.touched, positions);
  const bySql = new Map<TableSql, readonly RowToWrite[]>();
  for (const [table, list] of rows) {
    const sql = ctx.tables.get(table);
    if (!sql) throw new Error(`a merge made ${table} rows, but the server does not serve ${table}`);
    bySql.set(sql, list);
  }
  const maxSeq = req.mutations.reduce((a, m) => Math.max(a, m.seq), 0);
  const lastMutationSeq = Math.max(client.lastSeq, maxSeq);
  const { revisions, sent } = bases.pending();
  const write = prepareWrite({
    userId,
    clientId: req.clientId,
    deviceName: i.deviceName,
    lastSeq: client.lastSeq,
    confirmedSeq: client.confirmedSeq,
    read: [...positions].map(([table, p]) => ({ sql: ctx.tables.get(table)!, positions: p })),
    rows: bySql,
    count: pass.touched.size,
    revisions,
    sent,
    lastMutationSeq,
    confirmed: confirmedAfter(client, req.mutations),
    digests: freshDigests(client, req.mutations, (m) => i.digests.get(m.seq)!),
    userHlc: pass.userHlc,
  });
  return { pass, rows, write, lastMutationSeq };
}

/**
 * Each touched row's place among the push's new positions (1, 2, … in last-change order), by
 * table, and whether it was read absent (`positions`: what the write checks again).
 */
function placed(
  touched: ReadonlyMap<string, { table: string; row: StoredRow }>,
  positions: ReadonlyMap<string, ReadonlyMap<string, string | null>>,
): Map<string, RowToWrite[]> {
  let offset = 0;
  const perTable = new Map<string, RowToWrite[]>();
  for (const { table, row } of touched.values()) {
    let list = perTable.get(table);
    if (!list) perTable.set(table, (list = []));
    list.push({ row, offset: ++offset, absent: positions.get(table)?.get(row.id) === null });
  }
  return perTable;
}

/** What the lock tells the write. */
function lockedFor(p: Plan, user: LockedUser): Locked {
  return { position: user.position, hlcMoved: p.pass.userHlc > user.maxHlc };
}

/** The push's outcome, once written. */
function outcome(p: Plan, user: LockedUser, cursor: string): PushOutcome {
  const { pass } = p;
  const written: WrittenRow[] = [];
  for (const [table, list] of p.rows)
    for (const r of list)
      written.push({ table, row: r.row, position: user.position + BigInt(r.offset) });
  const count = BigInt(pass.touched.size);
  const current = cursor === user.position.toString();
  let changes: Change[] | null | undefined;
  return {
    results: pass.results,
    lastMutationSeq: p.lastMutationSeq,
    newPosition: count > 0n ? user.position + count : null,
    counts: pass.counts,
    // Made when first read, after the transaction: not while the lock is held.
    get changesIfCurrent() {
      if (changes === undefined) changes = current ? changesOf(written) : null;
      return changes;
    },
    written,
    userHlc: pass.userHlc > user.maxHlc ? pass.userHlc : user.maxHlc,
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

/**
 * Each touched row as stored now (`null`: not there), by table and id, and the position of each
 * (`null`: not there), for the check under the lock; one query per table.
 */
async function loadTouched(
  tx: Queryable,
  ctx: PushContext,
  userId: string,
  fresh: readonly Mutation[],
): Promise<{
  current: Map<string, Map<string, StoredRow | null>>;
  positions: Map<string, Map<string, string | null>>;
}> {
  const ids = new Map<string, Set<string>>();
  for (const m of fresh) {
    if (!ctx.tables.has(m.table)) continue;
    let s = ids.get(m.table);
    if (!s) ids.set(m.table, (s = new Set()));
    s.add(m.id);
  }
  const current = new Map<string, Map<string, StoredRow | null>>();
  const positions = new Map<string, Map<string, string | null>>();
  for (const [table, set] of ids) {
    const loaded = await loadRowsAt(tx, ctx.tables.get(table)!, userId, [...set]);
    const state = new Map<string, StoredRow | null>();
    const at = new Map<string, string | null>();
    for (const id of set) {
      const r = loaded.get(id);
      state.set(id, r?.row ?? null);
      at.set(id, r?.position ?? null);
    }
    current.set(table, state);
    positions.set(table, at);
  }
  return { current, positions };
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
