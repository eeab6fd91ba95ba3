import {
  TEXT_CONFLICTS_TABLE,
  parseHlc,
  type Change,
  type Hlc,
  type HlcClock,
  type MutationResult,
  type SyncRequest,
} from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';
import { fail } from '../http/errors.ts';
import { USER_PREFIX } from '../events/poke-hub.ts';
import { confirmedAfter, freshDigests, reusedSeqs, type ClientLineage } from './lineage.ts';
import { mergeMutation, wireRow, type StoredRow, type TextOverlap } from './merge.ts';
import { loadRows, upsertRows, type TableSql } from './rows.ts';
import { TextBases } from './text-bases.ts';
import { conflictRows } from './text-conflicts.ts';

/** Milliseconds of text merging one push may spend before further merges take the cheap path. */
export const MERGE_BUDGET_MS = 2000;

/** What the push path needs from the server. */
export interface PushContext {
  readonly tables: ReadonlyMap<string, TableSql>;
  readonly clock: HlcClock;
  readonly maxClockDriftMs: number;
  readonly now: () => number;
  /** See MERGE_BUDGET_MS (tests set it low). */
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

interface ClientRow {
  user_id: string;
  last_mutation_seq: string;
  confirmed_seq: string;
  position: string;
  max_hlc: string;
}

/**
 * Names the client by its login's device name (`$name`) when it has none or another: a CTE of
 * the statements that claim a client id (`$client`, `$user`). Writes only when the name changes.
 */
const nameClient = (client: string, user: string, name: string): string =>
  `named AS (UPDATE clients SET device_name = ${name}::text
             WHERE client_id = ${client} AND user_id = ${user} AND ${name}::text IS NOT NULL
               AND device_name IS DISTINCT FROM ${name}::text)`;

/**
 * Binds `clientId` to the user on first use and returns its state. A `clientId` that belongs to
 * another user is 403. One statement, so a pull-only request stays cheap. `deviceName`: the
 * name the caller's login gave, linked to the client id (see `nameClient`).
 */
export async function claimClient(
  db: Queryable,
  userId: string,
  clientId: string,
  deviceName: string | null = null,
): Promise<ClientLineage & { position: string; userHlc: string }> {
  const sql = `WITH ins AS (
      INSERT INTO clients (client_id, user_id, device_name) VALUES ($1, $2, $3::text) ON CONFLICT (client_id) DO NOTHING
      RETURNING user_id, last_mutation_seq, confirmed_seq),
      ${nameClient('$1', '$2', '$3')}
    SELECT c.user_id::text AS user_id, c.last_mutation_seq::text AS last_mutation_seq,
           c.confirmed_seq::text AS confirmed_seq,
           (SELECT position::text FROM users WHERE id = $2) AS position,
           (SELECT max_hlc FROM users WHERE id = $2) AS max_hlc
    FROM (SELECT user_id, last_mutation_seq, confirmed_seq FROM ins
          UNION ALL SELECT user_id, last_mutation_seq, confirmed_seq FROM clients WHERE client_id = $1) c`;
  let rows = await db.query<ClientRow>(sql, [clientId, userId, deviceName]);
  // A concurrent first use committed after this statement's snapshot: read it again.
  if (rows.length === 0) rows = await db.query<ClientRow>(sql, [clientId, userId, deviceName]);
  const r = rows[0];
  if (r === undefined) fail('unavailable', 'client registration raced; retry', 1);
  if (r.user_id !== userId) fail('forbidden', 'this clientId belongs to another user');
  return {
    lastSeq: Number(r.last_mutation_seq),
    confirmedSeq: Number(r.confirmed_seq),
    position: r.position,
    userHlc: r.max_hlc,
  };
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
 * Applies a request's mutations in one transaction (the caller's `tx`). The user's row is locked
 * first, so this user's pushes run one at a time and the positions they hand out commit in order;
 * that is what makes "seen n ⇒ seen everything ≤ n" true for pulls.
 */
export async function push(
  tx: Queryable,
  ctx: PushContext,
  userId: string,
  req: SyncRequest,
  /** The device name of the caller's login, linked to `req.clientId` (see `claimClient`). */
  deviceName: string | null = null,
): Promise<PushOutcome> {
  // One round trip: lock the user's row, and bind the clientId to the user on first use.
  const head = await tx.query<{
    position: string;
    purged_position: string;
    owner: string | null;
    last_mutation_seq: string | null;
    confirmed_seq: string | null;
    max_hlc: string;
  }>(
    `WITH u AS (SELECT position, purged_position, max_hlc FROM users WHERE id = $1 FOR UPDATE),
          ins AS (INSERT INTO clients (client_id, user_id, device_name) SELECT $2, $1, $3::text FROM u
                  ON CONFLICT (client_id) DO NOTHING RETURNING user_id, last_mutation_seq, confirmed_seq),
          ${nameClient('$2', '$1', '$3')},
          c AS (SELECT user_id, last_mutation_seq, confirmed_seq FROM ins
                UNION ALL SELECT user_id, last_mutation_seq, confirmed_seq FROM clients WHERE client_id = $2)
     SELECT u.position::text AS position, u.purged_position::text AS purged_position, u.max_hlc,
            (SELECT user_id::text FROM c LIMIT 1) AS owner, (SELECT last_mutation_seq::text FROM c LIMIT 1) AS last_mutation_seq,
            (SELECT confirmed_seq::text FROM c LIMIT 1) AS confirmed_seq
     FROM u`,
    [userId, req.clientId, deviceName],
    true,
  );
  const user = head[0];
  if (user === undefined) fail('unauthorized', 'the user no longer exists');
  checkCursor(req.cursor, BigInt(user.purged_position));
  // A concurrent first use of this clientId committed after our snapshot: read it again.
  const client: ClientLineage =
    user.owner === null
      ? await claimClient(tx, userId, req.clientId, deviceName)
      : { lastSeq: Number(user.last_mutation_seq), confirmedSeq: Number(user.confirmed_seq) };
  if (user.owner !== null && user.owner !== userId)
    fail('forbidden', 'this clientId belongs to another user');
  const old = req.mutations.filter((m) => m.seq <= client.lastSeq);
  const reused =
    old.length === 0 ? new Set<number>() : await reusedSeqs(tx, req.clientId, client, old);
  if (reused.size > 0 && req.clientReset === true) {
    fail(
      'client_id_reused',
      `seq ${Math.min(...reused)} of this clientId was already used by a different mutation (a copied or restored database?): take a new clientId and send the queue again`,
    );
  }

  const counts = { applied: 0, superseded: 0, duplicate: 0, conflict: 0, rejected: 0 };
  const results: MutationResult[] = [];
  const fresh = req.mutations.filter((m) => m.seq > client.lastSeq);

  // Load every touched row, one query per table.
  const current = new Map<string, Map<string, StoredRow | null>>();
  const ids = new Map<string, Set<string>>();
  for (const m of fresh) {
    if (!ctx.tables.has(m.table)) continue;
    let s = ids.get(m.table);
    if (!s) ids.set(m.table, (s = new Set()));
    s.add(m.id);
  }
  for (const [table, set] of ids) {
    const loaded = await loadRows(tx, ctx.tables.get(table)!, userId, [...set]);
    const state = new Map<string, StoredRow | null>();
    for (const id of set) state.set(id, loaded.get(id) ?? null);
    current.set(table, state);
  }
  // The texts this request's edits of text fields were made on (see text-bases.ts).
  const bases = new TextBases(tx, userId, req.clientId);
  await bases.prefetch(tableDecls(ctx.tables), fresh, current);

  // Merge in seq order, in memory. `touched` keeps each changed row once, in last-change order,
  // so a row changed several times gets one position: the latest.
  const touched = new Map<string, { table: string; row: StoredRow }>();
  const nowMs = ctx.now();
  let userHlc = user.max_hlc;
  const nowIso = new Date(nowMs).toISOString();
  let mergeMs = 0;
  for (const m of req.mutations) {
    if (reused.has(m.seq)) {
      // A v1 client cannot take a new clientId: the mutation is set aside where its user sees it.
      results.push({
        seq: m.seq,
        status: 'rejected',
        code: 'seq_reused',
        message: 'this seq was already used by a different mutation of this clientId',
      });
      counts.rejected++;
      continue;
    }
    if (m.seq <= client.lastSeq) {
      results.push({ seq: m.seq, status: 'duplicate' });
      counts.duplicate++;
      continue;
    }
    const sql = ctx.tables.get(m.table);
    if (!sql) {
      results.push({
        seq: m.seq,
        status: 'rejected',
        code: 'unknown_table',
        message: `no synced table "${m.table}"`,
      });
      counts.rejected++;
      continue;
    }
    let hlc: string = m.hlc;
    let clockAdjusted = false;
    const wall = parseHlc(m.hlc).wall;
    if (wall > nowMs + ctx.maxClockDriftMs) {
      // A stamp from the future would win every later conflict: use the server's own instead.
      hlc = ctx.clock.now();
      clockAdjusted = true;
    } else {
      if (m.hlc > userHlc) userHlc = m.hlc;
      // Only stamps the server's own clock has reached are folded in: the one server clock is
      // shared by every user, and one user's fast clock must not move anyone else's stamps.
      // (The user's own devices get the user's latest stamp instead: see userServerHlc.)
      if (wall <= nowMs) ctx.clock.receive(m.hlc as Hlc);
    }
    const state = current.get(m.table)!;
    const row = state.get(m.id) ?? null;
    const found = row === null ? undefined : bases.basesFor(sql.table, m, row);
    // Past the request's merge budget, a merge that is not a plain write treats its base as
    // unknown: one cheap hunk instead of a diff (a conflict record, nothing lost).
    const textBases =
      found !== undefined &&
      mergeMs > (ctx.mergeBudgetMs ?? MERGE_BUDGET_MS) &&
      (m.baseSeq !== undefined || m.baseVersion !== row?.version)
        ? Object.fromEntries(Object.keys(found).map((f) => [f, null]))
        : found;
    const mergeStarted = performance.now();
    const out = mergeMutation(
      sql.table,
      row,
      {
        op: m.op,
        id: m.id,
        fields: m.fields,
        hlc,
        baseVersion: m.baseVersion,
        ...(textBases === undefined ? {} : { bases: textBases }),
      },
      nowIso,
    );
    // A text merge can take tens of milliseconds: let other requests run between them.
    if (textBases !== undefined) {
      mergeMs += performance.now() - mergeStarted;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const adj = clockAdjusted ? { clockAdjusted: true } : {};
    // Overlapping parts of a text merge become text_conflicts rows, positioned like any change.
    const keepOverlaps = (merged: StoredRow, overlaps: readonly TextOverlap[]): void => {
      if (overlaps.length === 0) return;
      const sides = { mine: req.clientId, theirs: row ? bases.writerOf(m.table, row) : null };
      for (const c of conflictRows(m.table, merged, overlaps, sides, nowMs))
        touched.set(`${TEXT_CONFLICTS_TABLE}\u0000${c.id}`, {
          table: TEXT_CONFLICTS_TABLE,
          row: c,
        });
    };
    switch (out.kind) {
      case 'applied': {
        state.set(m.id, out.row);
        const key = `${m.table}\u0000${m.id}`;
        touched.delete(key);
        touched.set(key, { table: m.table, row: out.row });
        bases.record(sql.table, m, hlc, out.row, out.merged);
        keepOverlaps(out.row, out.overlaps);
        const merged = out.merged ? { merged: true } : {};
        results.push({
          seq: m.seq,
          status: 'applied',
          version: out.row.version,
          ...adj,
          ...merged,
        });
        break;
      }
      case 'superseded':
        bases.record(sql.table, m, hlc, null, false);
        if (row) keepOverlaps(row, out.overlaps);
        results.push(
          row
            ? { seq: m.seq, status: 'superseded', version: row.version, ...adj }
            : { seq: m.seq, status: 'superseded', ...adj },
        );
        break;
      case 'conflict':
        results.push({ seq: m.seq, status: 'conflict', row: row ? wireRow(row) : null });
        break;
      case 'rejected':
        results.push({ seq: m.seq, status: 'rejected', code: out.code, message: out.message });
        break;
    }
    counts[out.kind]++;
  }

  // Hand out positions in last-change order and write each table's rows in one statement.
  let position = BigInt(user.position);
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
  await bases.flush();

  const maxSeq = req.mutations.reduce((a, m) => Math.max(a, m.seq), 0);
  const lastMutationSeq = Math.max(client.lastSeq, maxSeq);
  const newPosition = touched.size > 0 ? position : null;
  const confirmed = confirmedAfter(client, req.mutations);
  const digests = freshDigests(client, req.mutations);
  // One round trip for the bookkeeping: the client's seqs and digests (see lineage.ts), the
  // user's position, and the poke (NOTIFY is delivered on commit only, so no listener is poked
  // for a change it cannot pull). Every change of what position-cache.ts keeps notifies. The digests deleted (<= confirmed) and inserted (> lastSeq)
  // never overlap: confirmed < the request's first seq.
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
      userId,
      req.clientId,
      lastMutationSeq,
      position.toString(),
      newPosition !== null,
      `${userId}:${position}`,
      confirmed,
      confirmed > client.confirmedSeq,
      digests.seqs,
      digests.digests,
      userHlc,
      // The seq or the HLC moved but not the position: caches elsewhere must still hear of it.
      lastMutationSeq > client.lastSeq || userHlc > user.max_hlc,
      `${USER_PREFIX}${userId}`,
    ],
    true,
  );
  let changesIfCurrent: Change[] | null = null;
  if (req.cursor === user.position) {
    changesIfCurrent = [];
    for (const [table, list] of perTable) {
      for (const r of list)
        changesIfCurrent.push({ table, seq: r.position.toString(), row: wireRow(r.row) });
    }
    changesIfCurrent.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  }
  const written: WrittenRow[] = [];
  for (const [table, list] of perTable) for (const r of list) written.push({ table, ...r });
  return { results, lastMutationSeq, newPosition, counts, changesIfCurrent, written, userHlc };
}

/** The table declarations behind the prepared SQL. */
function tableDecls(tables: ReadonlyMap<string, TableSql>): ReadonlyMap<string, TableSql['table']> {
  return new Map([...tables].map(([name, sql]) => [name, sql.table]));
}
