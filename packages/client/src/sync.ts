import {
  COMPACT_VERSION,
  Limits,
  PROTOCOL_VERSION,
  type Mutation,
  type SyncRequest,
  type SyncResponse,
  type TableDecl,
} from '@ferry/protocol';
import type { SyncOutcome, SyncProgress, TokenStore } from './api.ts';
import { applyResponse, type ApplyProbe, type ApplySummary } from './apply.ts';
import type { Checks } from './checks.ts';
import type { PersistentClock } from './clock.ts';
import { readSyncResponse } from './decode-page.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import type { Transport } from './http.ts';
import { takeNewClientId } from './lineage.ts';
import { maxSeq, nextBatch, toMutation, type OutboxEntry } from './outbox.ts';
import { PushBudget, recoverPush } from './push-budget.ts';
import { q } from './rows.ts';
import { StateKey, allState, setState } from './state.ts';

/** What one sync run needs. */
export interface SyncContext {
  driver: SqlDriver;
  tables: ReadonlyMap<string, TableDecl>;
  clock: PersistentClock;
  transport: Transport;
  tokenStore: TokenStore;
  /** The checks of the server's answers. */
  checks: Checks;
  now: () => number;
  /** The app's schema version. */
  schemaVersion: number;
  pullLimit?: number;
  /**
   * Called after each response is applied (and committed), with the run's progress so far; and
   * after an entry is set aside (push-budget.ts), without progress.
   */
  onApplied?: (summary: ApplySummary, progress?: SyncProgress) => void;
  /** Test seam, see ApplyProbe. */
  probe?: ApplyProbe;
  /** Called when the engine took a new clientId (see lineage.ts). */
  onClientIdChanged?: (clientId: string) => void;
}

/**
 * One sync: push the outbox in batches and pull until the end, one `POST /v1/sync` per round,
 * each response applied in one local transaction. Stops when the pull is complete and every
 * entry that was queued when it started has been acknowledged; entries written meanwhile go on
 * the next round only if one is needed anyway (so a busy writer cannot keep it running forever).
 * A long pull is such a case: an entry queued during it goes with the next page's request (no
 * page is prefetched while one waits), not after the last page.
 */
export async function runSync(ctx: SyncContext): Promise<SyncOutcome> {
  const token = await ctx.tokenStore.get();
  if (!token) throw new FerryError(ErrorKind.unauthorized, 'not signed in');
  const start = await ctx.driver.transaction(async (tx) => ({
    state: await allState(tx),
    maxSeq: await maxSeq(tx),
  }));
  const server = start.state[StateKey.serverUrl];
  const storedClientId = start.state[StateKey.clientId];
  if (!server) throw new FerryError(ErrorKind.noServer, 'no server configured: sign in first');
  if (!storedClientId) throw new Error('local database has no client id');
  let clientId: string = storedClientId;
  let tookNewClientId = false;

  const outcome: SyncOutcome = { pushed: 0, pulled: 0, complete: false };
  const budget = new PushBudget();
  /** A response as it came (v1 or compact) and the mutations its request carried. */
  interface Answer {
    res: SyncResponse;
    sent: Mutation[];
  }
  const request = async (
    cursor: string,
    batch: readonly OutboxEntry[],
    pullLimit?: number,
  ): Promise<Answer> => {
    const req: SyncRequest = {
      protocol: PROTOCOL_VERSION,
      clientId,
      schemaVersion: ctx.schemaVersion,
      cursor,
      mutations: batch.map(toMutation),
      // `pageLimit` where the server speaks it, else `pullLimit`'s v1 maximum (docs/protocol.md).
      pullLimit: Math.min(pullLimit ?? ctx.pullLimit ?? Limits.maxPullLimit, Limits.maxPullLimit),
      pageLimit: pullLimit ?? ctx.pullLimit ?? Limits.defaultPageLimit,
      clientReset: true,
      compact: COMPACT_VERSION,
    };
    const res = await ctx.transport.call<SyncResponse>(server, 'POST', '/v1/sync', {
      body: req,
      token,
    });
    return { res, sent: req.mutations };
  };
  // A pull-only page asked for while the previous one is being applied (see below).
  let prefetched: Promise<Answer> | null = null;
  for (let round = 0; ; round++) {
    const local = await ctx.driver.transaction(async (tx) => {
      const s = await allState(tx);
      return {
        batch: await nextBatch(tx, ctx.tables, budget.limits()),
        cursor: s[StateKey.cursor] ?? '0',
        resync: s[StateKey.resync] === '1',
      };
    });
    const { cursor, resync } = local;
    // A prefetched page was requested without mutations: this round pushes nothing.
    const batch = prefetched ? [] : local.batch;
    let answer: Answer;
    try {
      answer = await (prefetched ?? request(cursor, batch));
    } catch (e) {
      prefetched = null;
      if (e instanceof FerryError && e.kind === ErrorKind.resyncRequired && round < 50) {
        await startResync(ctx.driver);
        continue;
      }
      if (e instanceof FerryError && e.kind === ErrorKind.clientIdReused && !tookNewClientId) {
        // Once per run: a second 409 under a brand-new id would not be a copy, so it is reported.
        tookNewClientId = true;
        clientId = await takeNewClientId(ctx.driver, ctx.now);
        ctx.clock.rekey(clientId);
        ctx.onClientIdChanged?.(clientId);
        continue;
      }
      // 413, a reset while sending a large batch, a whole-request 400: send less, or set one aside.
      if (await recoverPush(e, batch, budget, { ...ctx, verify: () => request(cursor, [], 1) }))
        continue;
      throw e;
    }
    prefetched = null;
    const raw = answer.res;
    if (
      batch.length === 0 &&
      // Edits queued meanwhile go out with the next request, between pull pages, not after the last.
      local.batch.length === 0 &&
      typeof raw === 'object' &&
      raw !== null &&
      (raw as Partial<SyncResponse>).hasMore === true &&
      typeof raw.cursor === 'string' &&
      /^[0-9]{1,19}$/.test(raw.cursor)
    ) {
      // Pure pull with more to come: ask for the next page now (even before validating this one),
      // so the server works on it while this one is checked and applied. Its cursor is the one
      // this apply is about to store; if validation or the apply fails, the page is dropped
      // unread and the next sync asks again from the stored cursor.
      prefetched = request(raw.cursor, []);
      prefetched.catch(() => undefined);
    }
    const res = readSyncResponse(ctx.checks, raw, answer.sent);
    const acked = checkAcknowledgement(batch, res);
    const nowIso = new Date(ctx.now()).toISOString();
    const { summary, oldestSeq } = await ctx.driver.transaction(async (tx) => {
      const applied = await applyResponse(tx, ctx.tables, ctx.clock, batch, res, nowIso, {
        resync,
        ...(ctx.probe ? { probe: ctx.probe } : {}),
      });
      if (resync && !res.hasMore) await finishResync(tx, ctx.tables);
      const oldest = (await nextBatch(tx, ctx.tables, 1))[0]?.seq ?? null;
      // Complete (nothing queued, pull at its end): recorded in the same commit, one fsync fewer.
      if (!res.hasMore && oldest === null) await setState(tx, StateKey.lastSyncAt, nowIso);
      return { summary: applied, oldestSeq: oldest };
    });
    outcome.pushed += acked;
    outcome.pulled += summary.pulled;
    outcome.cursor = res.cursor;
    ctx.onApplied?.(summary, progressAfter(outcome.pulled, res));

    const startedWork = oldestSeq !== null && oldestSeq <= start.maxSeq;
    if (res.hasMore || startedWork) continue;
    outcome.complete = oldestSeq === null;
    return outcome;
  }
}

/**
 * Rows pulled by this run so far, and how many it will have pulled in all when the server says
 * its position (the `position` extension): what it pulled plus the changes still ahead of the
 * cursor, which is exact for rows written once and an upper bound otherwise.
 */
function progressAfter(pulled: number, res: SyncResponse): SyncProgress {
  if (res.position === undefined) return { pulled, total: null };
  const ahead = BigInt(res.position) - BigInt(res.cursor);
  return { pulled, total: pulled + (ahead > 0n ? Number(ahead) : 0) };
}

/** Number of sent entries the response acknowledges; refuses a response that acknowledges nothing of a non-empty batch. */
function checkAcknowledgement(batch: readonly OutboxEntry[], res: SyncResponse): number {
  const acked = batch.filter((e) => e.seq <= res.lastMutationSeq).length;
  if (batch.length > 0 && acked === 0) {
    // Otherwise the same batch would be sent forever.
    throw new FerryError(
      ErrorKind.protocol,
      `the server acknowledged none of seqs ${batch[0]?.seq}..${batch.at(-1)?.seq} (lastMutationSeq ${res.lastMutationSeq})`,
    );
  }
  return acked;
}

/** 410: pull everything again from "0", remembering which rows the server still has. */
async function startResync(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.run('DELETE FROM resync_seen');
    await setState(tx, StateKey.cursor, '0');
    await setState(tx, StateKey.resync, '1');
  });
}

/** The full pull reached the end: drop synced rows the server no longer has; pending rows stay. */
async function finishResync(
  tx: Parameters<Parameters<SqlDriver['transaction']>[0]>[0],
  tables: ReadonlyMap<string, TableDecl>,
): Promise<void> {
  for (const t of tables.values()) {
    await tx.run(
      `DELETE FROM ${q(t.name)} WHERE synced = 1 AND NOT EXISTS (SELECT 1 FROM resync_seen s WHERE s.table_name = ? AND s.record_id = ${q(t.name)}.id)`,
      [t.name],
    );
  }
  await tx.run('DELETE FROM resync_seen');
  await setState(tx, StateKey.resync, null);
}
