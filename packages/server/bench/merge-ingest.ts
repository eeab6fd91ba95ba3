/**
 * Push ingest through the real server for the merge bench: (a) new notes, (b) fast-forward edits
 * (`baseVersion` = the row's version: no merge), (c) edits made on an older version by another
 * device of the user, which the server merges three-way. Each user pushes from its own client,
 * all users at once, in batches; request bodies are made before the clock starts.
 */
import { randomUUID } from 'node:crypto';
import { HlcClock, hlcNode, uuidv7, type SyncResponse } from '@ferry/protocol';
import { LoadClient } from './http-load.ts';
import { cpuBetween, databaseCpuSeconds } from './proc.ts';
import { syncBody } from './wire.ts';
import { cpuMsSince, edited, noteLines, scatteredLines } from './merge-texts.ts';

export interface IngestSizes {
  readonly users: number;
  /** Notes per user. */
  readonly notes: number;
  readonly lines: number;
  /** Lines each edit changes. */
  readonly editLines: number;
  readonly batch: number;
}

export interface PhaseResult {
  readonly mutations: number;
  readonly seconds: number;
  /** CPU of this process (server and load generator) during the phase. */
  readonly cpuMs: number;
  /** CPU of the PostgreSQL backends serving the bench's database during the phase. */
  readonly pgMs: number;
  /** Results with `merged: true`. */
  readonly merged: number;
}

/** One user's notes and the three kinds of pushes made of them. */
interface UserPlan {
  readonly token: string;
  readonly author: string;
  readonly other: string;
  readonly create: string[][];
  readonly fastForward: string[][];
  readonly stale: string[][];
}

/** Splits mutations into request bodies; the cursor is filled in when sent. */
function requests(clientId: string, muts: unknown[], batch: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < muts.length; i += batch) {
    const json = syncBody(clientId, '\u0000', muts.slice(i, i + batch));
    out.push(json.split('"\\u0000"'));
  }
  return out;
}

/** Prepares one user's pushes: creations, then edits on version 1 by the author and another device. */
export function plan(token: string, rand: () => number, s: IngestSizes): UserPlan {
  const author = randomUUID();
  const other = randomUUID();
  const authorClock = new HlcClock(hlcNode(author));
  const otherClock = new HlcClock(hlcNode(other));
  const create: unknown[] = [];
  const ff: unknown[] = [];
  const stale: unknown[] = [];
  const now = new Date().toISOString();
  for (let n = 0; n < s.notes; n++) {
    const id = uuidv7();
    const lines = noteLines(rand, s.lines * 150).slice(0, s.lines);
    const at = scatteredLines(rand, lines.length, 2 * s.editLines);
    const content = lines.join('');
    create.push(mutation(n + 1, id, { title: `note ${n}`, content, created_at: now }, now, null));
    const mine = edited(lines, at.slice(0, s.editLines), 'ff').join('');
    ff.push(mutation(s.notes + n + 1, id, { content: mine }, now, 1));
    const theirs = edited(lines, at.slice(s.editLines), 'old').join('');
    stale.push(mutation(n + 1, id, { content: theirs }, now, 1));
  }
  // Stamps in push order: the other device's edits are the latest writes.
  const stamp = (clock: HlcClock, muts: unknown[]): unknown[] =>
    muts.map((m) => ({ ...(m as object), hlc: clock.now() }));
  const first = stamp(authorClock, create);
  const second = stamp(authorClock, ff);
  otherClock.receive(authorClock.now());
  const third = stamp(otherClock, stale);
  return {
    token,
    author,
    other,
    create: requests(author, first, s.batch),
    fastForward: requests(author, second, s.batch),
    stale: requests(other, third, s.batch),
  };
}

function mutation(
  seq: number,
  id: string,
  fields: Record<string, unknown>,
  now: string,
  baseVersion: number | null,
): Record<string, unknown> {
  return {
    seq,
    table: 'notes',
    id,
    op: 'upsert',
    fields: { ...fields, updated_at: now },
    baseVersion,
  };
}

/**
 * Sends each user's requests of one kind, users at once, each user's in order. `cursors` holds
 * each user's cursor, carried from phase to phase (a device that has pulled everything but its
 * own pushes: the cursor is the user's, whichever device reads it).
 */
export async function runPhase(
  url: string,
  plans: readonly UserPlan[],
  kind: 'create' | 'fastForward' | 'stale',
  cursors: string[],
  /** The server's database: only its backends' CPU is counted. */
  db: string,
): Promise<PhaseResult> {
  const http = new LoadClient(url, plans.length);
  let mutations = 0;
  let merged = 0;
  const pg0 = databaseCpuSeconds(db);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    plans.map(async (p, u) => {
      for (const parts of p[kind]) {
        const r = await http.post('/v1/sync', parts.join(JSON.stringify(cursors[u])), p.token);
        if (r.status !== 200) throw new Error(`push failed: ${r.status} ${r.body.slice(0, 200)}`);
        const res = JSON.parse(r.body) as SyncResponse;
        for (const x of res.results) {
          if (x.status !== 'applied') throw new Error(`a ${kind} mutation was ${x.status}`);
          if (x.merged === true) merged++;
        }
        mutations += res.results.length;
        cursors[u] = res.cursor;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpuMs = cpuMsSince(cpu0);
  const pgMs = cpuBetween(pg0, databaseCpuSeconds(db)) * 1000;
  http.close();
  return { mutations, seconds, cpuMs, pgMs, merged };
}
