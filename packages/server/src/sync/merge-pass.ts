/**
 * The middle of a push: each mutation of the request merged, in seq order and in memory, against
 * the stored row (merge.ts), giving its result and the rows to write.
 */
import {
  TEXT_CONFLICTS_TABLE,
  parseHlc,
  type Hlc,
  type Mutation,
  type MutationResult,
  type SyncRequest,
} from '@ferry/protocol';
import type { ClientLineage } from './lineage.ts';
import { mergeMutation, wireRow, type StoredRow, type TextOverlap } from './merge.ts';
import type { PushContext } from './push.ts';
import type { TableSql } from './rows.ts';
import type { TextBases } from './text-bases.ts';
import { conflictRows } from './text-conflicts.ts';

/** Milliseconds of text merging one push may spend before further merges take the cheap path. */
export const MERGE_BUDGET_MS = 2000;

/** What `MergePass` reads besides the request. */
export interface MergeInputs {
  readonly client: ClientLineage;
  readonly reused: ReadonlySet<number>;
  /** The touched rows as stored, updated as mutations apply. */
  readonly current: Map<string, Map<string, StoredRow | null>>;
  readonly bases: TextBases;
  /** The tables as the client's schema version declares them: its fields are checked against these. */
  readonly known: ReadonlyMap<string, TableSql>;
}

/**
 * Merges a request's mutations in seq order, in memory: a result for each, and the rows to write.
 * `touched` keeps each changed row once, in last-change order, so a row changed several times
 * gets one position: the latest.
 */
export class MergePass {
  readonly results: MutationResult[] = [];
  readonly counts = { applied: 0, superseded: 0, duplicate: 0, conflict: 0, rejected: 0 };
  readonly touched = new Map<string, { table: string; row: StoredRow }>();
  private readonly nowMs: number;
  private readonly nowIso: string;
  private mergeMs = 0;

  constructor(
    private readonly ctx: PushContext,
    private readonly req: SyncRequest,
    private readonly inputs: MergeInputs,
    /** The latest stamp of the user's own mutations, raised by this request's. */
    public userHlc: string,
  ) {
    this.nowMs = ctx.now();
    this.nowIso = new Date(this.nowMs).toISOString();
  }

  /** Merges one mutation and records its result. */
  async merge(m: Mutation): Promise<void> {
    if (this.inputs.reused.has(m.seq)) {
      // A v1 client cannot take a new clientId: the mutation is set aside where its user sees it.
      this.reject(
        m,
        'seq_reused',
        'this seq was already used by a different mutation of this clientId',
      );
      return;
    }
    if (m.seq <= this.inputs.client.lastSeq) {
      this.results.push({ seq: m.seq, status: 'duplicate' });
      this.counts.duplicate++;
      return;
    }
    const sql = this.ctx.tables.get(m.table);
    const known = this.inputs.known.get(m.table);
    if (!sql || !known) {
      this.reject(m, 'unknown_table', `no synced table "${m.table}"`);
      return;
    }
    const { hlc, clockAdjusted } = this.stamp(m);
    const state = this.inputs.current.get(m.table)!;
    const row = state.get(m.id) ?? null;
    const textBases = this.textBases(sql, m, row);
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
      this.nowIso,
      known.table,
    );
    // A text merge can take tens of milliseconds: let other requests run between them.
    if (textBases !== undefined) {
      this.mergeMs += performance.now() - mergeStarted;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const adj = clockAdjusted ? { clockAdjusted: true } : {};
    const { bases } = this.inputs;
    switch (out.kind) {
      case 'applied': {
        state.set(m.id, out.row);
        const key = `${m.table}\u0000${m.id}`;
        this.touched.delete(key);
        this.touched.set(key, { table: m.table, row: out.row });
        bases.record(sql.table, m, hlc, out.row, out.merged);
        this.keepOverlaps(m, row, out.row, out.overlaps);
        const merged = out.merged ? { merged: true } : {};
        this.results.push({
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
        if (row) this.keepOverlaps(m, row, row, out.overlaps);
        this.results.push(
          row
            ? { seq: m.seq, status: 'superseded', version: row.version, ...adj }
            : { seq: m.seq, status: 'superseded', ...adj },
        );
        break;
      case 'conflict':
        this.results.push({ seq: m.seq, status: 'conflict', row: row ? wireRow(row) : null });
        break;
      case 'rejected':
        this.results.push({ seq: m.seq, status: 'rejected', code: out.code, message: out.message });
        break;
    }
    this.counts[out.kind]++;
  }

  private reject(m: Mutation, code: string, message: string): void {
    this.results.push({ seq: m.seq, status: 'rejected', code, message });
    this.counts.rejected++;
  }

  /** The mutation's stamp: its own, or the server's for one from too far in the future. */
  private stamp(m: Mutation): { hlc: string; clockAdjusted: boolean } {
    const wall = parseHlc(m.hlc).wall;
    // A stamp from the future would win every later conflict: use the server's own instead.
    if (wall > this.nowMs + this.ctx.maxClockDriftMs)
      return { hlc: this.ctx.clock.now(), clockAdjusted: true };
    if (m.hlc > this.userHlc) this.userHlc = m.hlc;
    // Only stamps the server's own clock has reached are folded in: the one server clock is
    // shared by every user, and one user's fast clock must not move anyone else's stamps.
    // (The user's own devices get the user's latest stamp instead: see userServerHlc.)
    if (wall <= this.nowMs) this.ctx.clock.receive(m.hlc as Hlc);
    return { hlc: m.hlc, clockAdjusted: false };
  }

  /** The texts the mutation's text fields were edited from, when the row has text fields. */
  private textBases(
    sql: TableSql,
    m: Mutation,
    row: StoredRow | null,
  ): Record<string, string | null> | undefined {
    const found = row === null ? undefined : this.inputs.bases.basesFor(sql.table, m, row);
    // Past the request's merge budget, a merge that is not a plain write treats its base as
    // unknown: one cheap hunk instead of a diff (a conflict record, nothing lost).
    return found !== undefined &&
      this.mergeMs > (this.ctx.mergeBudgetMs ?? MERGE_BUDGET_MS) &&
      (m.baseSeq !== undefined || m.baseVersion !== row?.version)
      ? Object.fromEntries(Object.keys(found).map((f) => [f, null]))
      : found;
  }

  /** Overlapping parts of a text merge become text_conflicts rows, positioned like any change. */
  private keepOverlaps(
    m: Mutation,
    before: StoredRow | null,
    merged: StoredRow,
    overlaps: readonly TextOverlap[],
  ): void {
    if (overlaps.length === 0) return;
    const theirs = before ? this.inputs.bases.writerOf(m.table, before) : null;
    const sides = { mine: this.req.clientId, theirs };
    for (const c of conflictRows(m.table, merged, overlaps, sides, this.nowMs))
      this.touched.set(`${TEXT_CONFLICTS_TABLE}\u0000${c.id}`, {
        table: TEXT_CONFLICTS_TABLE,
        row: c,
      });
  }
}
