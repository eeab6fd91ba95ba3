import { createHash } from 'node:crypto';
import type { Mutation } from '@ferry/protocol';
import type { Queryable } from '../db/database.ts';

/**
 * Telling a retried request from a reused `(clientId, seq)`.
 *
 * A copied or restored local database shares its `clientId` and its seq range with the original,
 * so a *different* mutation can arrive under a seq the server has already acknowledged. Skipping
 * it as a duplicate would lose it. The server therefore keeps, per client:
 *
 * - `confirmed_seq`: every seq at or below it is known to have been acknowledged to the client,
 *   because the client later sent a request starting above it (a client's batch is always a
 *   prefix of its queue, so it only moves past a seq once its acknowledgement was applied);
 * - a digest of each acknowledged mutation above `confirmed_seq` (at most a few batches).
 *
 * A mutation with `seq <= lastMutationSeq` is a harmless retry only when its digest matches the
 * one kept for that seq. At or below `confirmed_seq`, or without a kept digest, or with another
 * digest, the seq was reused.
 */

/** A stable digest of what a mutation asks for (not of how the server applied it). */
export function mutationDigest(m: Mutation): Buffer {
  const canonical = JSON.stringify([m.table, m.id, m.op, sortKeys(m.fields), m.hlc, m.baseVersion]);
  return createHash('sha256').update(canonical).digest().subarray(0, 16);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

/** A client's lineage state, read with its row. */
export interface ClientLineage {
  readonly lastSeq: number;
  readonly confirmedSeq: number;
}

/** The seqs among `old` (all `<= lastSeq`) that are not retries of what was acknowledged. */
export async function reusedSeqs(
  db: Queryable,
  clientId: string,
  client: ClientLineage,
  old: readonly Mutation[],
): Promise<Set<number>> {
  const reused = new Set<number>();
  const check = old.filter((m) => m.seq > client.confirmedSeq);
  for (const m of old) if (m.seq <= client.confirmedSeq) reused.add(m.seq);
  if (check.length === 0) return reused;
  const rows = await db.query<{ seq: string; digest: Buffer }>(
    'SELECT seq::text AS seq, digest FROM client_digests WHERE client_id = $1 AND seq = ANY($2::bigint[])',
    [clientId, check.map((m) => m.seq)],
    true,
  );
  const kept = new Map(rows.map((r) => [Number(r.seq), r.digest]));
  for (const m of check) {
    const d = kept.get(m.seq);
    if (d === undefined || !d.equals(mutationDigest(m))) reused.add(m.seq);
  }
  return reused;
}

/**
 * The confirmed seq after this request: everything below its first mutation has been
 * acknowledged to the client. Never moves back.
 */
export function confirmedAfter(client: ClientLineage, mutations: readonly Mutation[]): number {
  const first = mutations[0];
  return first === undefined ? client.confirmedSeq : Math.max(client.confirmedSeq, first.seq - 1);
}

/** The digests to keep for this request's newly acknowledged mutations, as query parameters. */
export function freshDigests(
  client: ClientLineage,
  mutations: readonly Mutation[],
  /** Each mutation's `mutationDigest` (a caller may have them already). */
  digest: (m: Mutation) => Buffer = mutationDigest,
): { seqs: number[]; digests: Buffer[] } {
  const fresh = mutations.filter((m) => m.seq > client.lastSeq);
  return { seqs: fresh.map((m) => m.seq), digests: fresh.map(digest) };
}
