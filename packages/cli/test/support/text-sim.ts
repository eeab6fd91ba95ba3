import {
  FerryError,
  memoryTokenStore,
  openFerry,
  type Ferry,
  type TextConflict,
} from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import type { TableDecl } from '@ferry/protocol';
import { Fault, noFaults, seededFaults, type FaultPlan } from './fault-proxy.ts';
import { mulberry32, type Rng } from './prng.ts';
import { describeError, quiesce } from './quiesce.ts';
import type { SimLane } from './sim.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

/**
 * The text-merge simulation: devices (the real engine on in-memory SQLite, each behind its own
 * fault-injecting proxy) insert unique words into random lines of shared notes, delete words and
 * lines, go offline and come back, with dropped requests, lost responses, delays and resets. Then
 * the faults stop and everyone syncs until quiet. The oracle:
 *
 * - every device holds the same text for every note as the server (read by a fresh client), and
 *   the same open text conflicts;
 * - every word inserted and never deleted by anyone is in the note or in one of its open conflict
 *   records (an overlap's version set aside);
 * - nothing is applied twice: no inserted word occurs twice in a note.
 *
 * Replay: as for the write simulation (sim.ts), every choice comes from the seed; only the
 * scheduling of requests in flight can differ between runs.
 */

export interface TextSimConfig {
  seed: number;
  devices?: number;
  notes?: number;
  steps?: number;
  faultRate?: number;
  /** The tables the devices use (the control run declares `content` last-writer-wins). */
  tables?: readonly TableDecl[];
}

export interface TextSimResult {
  seed: number;
  diffs: string[];
  inserted: number;
  conflicts: number;
  syncs: number;
}

interface Device {
  name: string;
  ferry: Ferry<typeof ferryTables>;
  offline: boolean;
  plan: FaultPlan;
  lane: SimLane;
  index: number;
}

const PASSWORD = 'text simulation password';
const offlinePlan: FaultPlan = () => ({ fault: Fault.dropRequest, delayMs: 0 });
const BASE_WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

/** Runs one seed; never throws for a wrong result, returns it in `diffs`. */
export async function runTextSeed(
  serverUrl: string,
  lane: SimLane,
  cfg: TextSimConfig,
): Promise<TextSimResult> {
  const rng = mulberry32(cfg.seed);
  const n = cfg.devices ?? 4;
  const steps = cfg.steps ?? 40;
  const diffs: string[] = [];
  const token = await signup(
    serverUrl,
    `tsim-${cfg.seed}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`,
  );
  const open = async (url: string): Promise<Ferry<typeof ferryTables>> => {
    const ferry = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(':memory:'),
      tokenStore: memoryTokenStore(token),
      // The control serves notes with a last-writer-wins content: same row type.
      tables: (cfg.tables ?? ferrySchema.tables) as typeof ferryTables,
    });
    await ferry.setServer(url);
    return ferry;
  };
  const devices: Device[] = [];
  for (let i = 0; i < n; i++) {
    const proxy = lane.proxies[i]!;
    proxy.setPlan(noFaults);
    devices.push({
      name: `d${i}`,
      ferry: await open(proxy.url),
      offline: false,
      plan: seededFaults(rng.fork(`proxy-${i}`), cfg.faultRate ?? 0.3),
      lane,
      index: i,
    });
  }
  /** Each inserted word, and the note it went into. */
  const inserted = new Map<string, string>();
  const deleted = new Set<string>();
  const inFlight: Promise<unknown>[] = [];
  let syncs = 0;
  const ids: string[] = [];
  try {
    // Shared notes, on every device before the faults start.
    for (let k = 0; k < (cfg.notes ?? 2); k++) {
      const lines = Array.from({ length: 3 + rng.int(4) }, () =>
        Array.from({ length: 1 + rng.int(4) }, () => rng.pick(BASE_WORDS)).join(' '),
      );
      ids.push(
        (
          await devices[0]!.ferry.tables.notes.create({
            title: `note ${k}`,
            content: `${lines.join('\n')}\n`,
          })
        ).id,
      );
    }
    await setupSync(devices[0]!.ferry);
    for (const d of devices) await setupSync(d.ferry);
    for (const d of devices) d.lane.proxies[d.index]!.setPlan(d.plan);

    for (let step = 0; step < steps; step++) {
      const d = rng.pick(devices);
      const r = rng.next();
      const id = rng.pick(ids);
      const word = `w${step}x${d.name}`;
      if (r < 0.55) {
        const note = await d.ferry.tables.notes.get(id);
        const text = editText(
          note!.content,
          rng,
          r < 0.45 ? { insert: word } : { insertLine: word },
        );
        inserted.set(word, id);
        await d.ferry.tables.notes.update(id, { content: text });
      } else if (r < 0.65) {
        const note = await d.ferry.tables.notes.get(id);
        const gone = deleteWord(note!.content, rng);
        if (gone) {
          deleted.add(gone.word);
          await d.ferry.tables.notes.update(id, { content: gone.text });
        }
      } else if (r < 0.88) {
        syncs += 1;
        inFlight.push(
          d.ferry.sync().catch((e: unknown) => {
            if (!(e instanceof FerryError && e.kind === 'network'))
              diffs.push(`${d.name}: unexpected sync error during faults: ${describeError(e)}`);
          }),
        );
      } else if (r < 0.95) {
        d.offline = !d.offline;
        d.lane.proxies[d.index]!.setPlan(d.offline ? offlinePlan : d.plan);
      } else {
        await new Promise((res) => setTimeout(res, rng.int(15)));
      }
      await new Promise((res) => setImmediate(res));
    }

    for (const d of devices) d.lane.proxies[d.index]!.setPlan(noFaults);
    await Promise.all(inFlight);
    syncs += await quiesce(devices, diffs);

    const reference = await open(serverUrl);
    try {
      await reference.sync();
      const conflicts = await reference.textConflicts();
      for (const id of ids)
        diffs.push(
          ...checkNote(
            id,
            (await reference.tables.notes.get(id))?.content ?? null,
            conflicts,
            inserted,
            deleted,
          ),
        );
      for (const d of devices) {
        for (const id of ids) {
          const mine = (await d.ferry.tables.notes.get(id))?.content;
          const theirs = (await reference.tables.notes.get(id))?.content;
          if (mine !== theirs)
            diffs.push(
              `${d.name}: note ${id} differs from the server: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`,
            );
        }
        const own = (await d.ferry.textConflicts()).map((c) => c.id).sort();
        if (JSON.stringify(own) !== JSON.stringify(conflicts.map((c) => c.id).sort()))
          diffs.push(`${d.name}: open conflicts differ from the server's`);
        const rejected = await d.ferry.rejected();
        if (rejected.length > 0)
          diffs.push(
            `${d.name}: ${rejected.length} rejected change(s): ${rejected[0]!.code} ${rejected[0]!.message}`,
          );
      }
      return { seed: cfg.seed, diffs, inserted: inserted.size, conflicts: conflicts.length, syncs };
    } finally {
      await reference.close();
    }
  } finally {
    await Promise.allSettled(inFlight);
    for (const d of devices) await d.ferry.close();
  }
}

const wordRe = (w: string): RegExp =>
  new RegExp(`(^|[^\\p{L}\\p{N}_])${w}($|[^\\p{L}\\p{N}_])`, 'u');

/** The oracle for one note: its words are in the text once, or set aside in an open conflict. */
function checkNote(
  id: string,
  text: string | null,
  conflicts: readonly TextConflict[],
  inserted: ReadonlyMap<string, string>,
  deleted: ReadonlySet<string>,
): string[] {
  if (text === null) return [`note ${id} is missing on the server`];
  const out: string[] = [];
  const tokens = text.split(/[^\p{L}\p{N}_]+/u);
  const setAside = conflicts
    .filter((c) => c.recordId === id)
    .flatMap((c) => c.hunks.map((h) => h.other));
  for (const [w, note] of inserted) {
    if (note !== id || deleted.has(w)) continue;
    const count = tokens.filter((t) => t === w).length;
    if (count > 1) out.push(`note ${id}: "${w}" occurs ${count} times`);
    if (count === 0 && !setAside.some((o) => wordRe(w).test(o)))
      out.push(`note ${id}: "${w}" is lost (not in the text nor in an open conflict)`);
  }
  return out;
}

/** Inserts `insert` at a random word position of a random line, or a new line `insertLine`. */
function editText(
  text: string,
  rng: Rng,
  what: { insert: string } | { insertLine: string },
): string {
  const lines = text.split('\n');
  const li = rng.int(Math.max(1, lines.length - (text.endsWith('\n') ? 1 : 0)));
  if ('insertLine' in what) {
    lines.splice(li, 0, what.insertLine);
    return lines.join('\n');
  }
  const words = lines[li]!.split(' ').filter((w) => w !== '');
  words.splice(rng.int(words.length + 1), 0, what.insert);
  lines[li] = words.join(' ');
  return lines.join('\n');
}

/** Deletes one random word of the text; null when there is none. */
function deleteWord(text: string, rng: Rng): { text: string; word: string } | null {
  const lines = text.split('\n');
  const candidates: [number, number][] = [];
  lines.forEach((l, i) => l.split(' ').forEach((w, j) => w !== '' && candidates.push([i, j])));
  if (candidates.length === 0) return null;
  const [li, wi] = rng.pick(candidates);
  const words = lines[li]!.split(' ');
  const [word] = words.splice(wi, 1);
  lines[li] = words.filter((w) => w !== '').join(' ');
  return { text: lines.join('\n'), word: word! };
}

/**
 * A sync before the faults start. A loopback connection can still drop (a kept-alive connection
 * closed by one end as the other reuses it, more likely on a loaded machine): tried three times.
 */
async function setupSync(ferry: Ferry): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ferry.sync();
      return;
    } catch (e) {
      if (attempt >= 3 || !(e instanceof FerryError && e.kind === 'network')) throw e;
    }
  }
}

async function signup(serverUrl: string, email: string): Promise<string> {
  const res = await fetch(`${serverUrl}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
