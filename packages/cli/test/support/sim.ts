import { FerryError, memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import {
  Fault,
  noFaults,
  seededFaults,
  startFaultProxy,
  type FaultPlan,
  type FaultProxy,
} from './fault-proxy.ts';
import { WriteModel, diffRows } from './model.ts';
import { mulberry32, type Rng } from './prng.ts';
import { describeError, quiesce } from './quiesce.ts';
import { recordingDriver } from './recording-driver.ts';
import { ferrySchema, type Note, type ferryTables } from '@ferry/protocol';

/**
 * The multi-device simulation: in-process clients (the real engine on in-memory better-sqlite3)
 * doing seeded random writes while randomly offline, syncing in seeded random interleavings
 * (several clients' syncs in flight at once, writes landing while a sync is in flight), each
 * through its own fault-injecting proxy to the real server. Then the faults stop, everyone syncs
 * until quiet, and the run is checked: every client equals the server (read by a fresh client),
 * and the server equals the per-field LWW model of every write ever made.
 *
 * Replay: every random choice (operations, pauses, per-request faults, clock offsets) comes from
 * the seed. What the seed cannot pin is how the operating system schedules requests in flight: a
 * replay makes the same sequence of choices, but when a sync finishes relative to the next
 * operation can differ, and with it which rows a later edit picks or which request meets which
 * fault. In practice a failing seed fails again on replay; run it a few times if it does not.
 */

export interface SimConfig {
  seed: number;
  clients?: number;
  steps?: number;
  /** Probability that a request meets one of the four faults. */
  faultRate?: number;
  /** Per-client clock offsets; default a seeded offset within ±5 s (inside the server's drift limit). */
  clockOffsetsMs?: readonly number[];
  /**
   * `full`: the server must equal the per-field LWW model of the client-made stamps. `ids`: every
   * row written exists on the server (for clocks far ahead, whose stamps the server replaces).
   */
  modelCheck?: 'full' | 'ids';
  /** Deliberately broken proxy behaviour, for the test that proves the checker catches it. */
  broken?: 'ack-without-apply';
}

export interface SimResult {
  seed: number;
  /** Every difference found; empty when the run is correct. */
  diffs: string[];
  writes: number;
  syncs: number;
  faults: Record<Fault, number>;
}

/** The proxies of one lane (one per client); a lane runs one seed at a time. */
export interface SimLane {
  proxies: FaultProxy[];
  close(): Promise<void>;
}

/** Starts the proxies of a lane in front of `serverUrl`. */
export async function createLane(serverUrl: string, clients = 3): Promise<SimLane> {
  const proxies = await Promise.all(
    Array.from({ length: clients }, () => startFaultProxy(serverUrl)),
  );
  return { proxies, close: async () => void (await Promise.all(proxies.map((p) => p.close()))) };
}

interface SimClient {
  name: string;
  ferry: Ferry<typeof ferryTables>;
  offline: boolean;
  plan: FaultPlan;
  proxy: FaultProxy;
}

const PASSWORD = 'simulation password';
const offlinePlan: FaultPlan = () => ({ fault: Fault.dropRequest, delayMs: 0 });

/** Runs one seed against the server behind `lane`; never throws for a wrong result, returns it in `diffs`. */
export async function runSeed(
  serverUrl: string,
  lane: SimLane,
  cfg: SimConfig,
): Promise<SimResult> {
  const rng = mulberry32(cfg.seed);
  const n = cfg.clients ?? 3;
  const steps = cfg.steps ?? 40;
  const faultRate = cfg.faultRate ?? 0.3;
  const model = new WriteModel();
  const diffs: string[] = [];
  const before = snapshot(lane);
  const token = await signup(
    serverUrl,
    `sim-${cfg.seed}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`,
  );

  const clients: SimClient[] = [];
  for (let i = 0; i < n; i++) {
    const name = `c${i}`;
    const offset = cfg.clockOffsetsMs?.[i] ?? rng.int(10_001) - 5_000;
    const driver = recordingDriver(await openNodeDriver(':memory:'), (entries) => {
      for (const e of entries)
        model.record({
          client: name,
          table: e.table,
          id: e.recordId,
          hlc: e.hlc,
          fields: e.fields,
        });
    });
    const ferry = await openFerry({
      ...ferrySchema,
      driver,
      tokenStore: memoryTokenStore(token),
      now: () => Date.now() + offset,
    });
    const proxy = lane.proxies[i]!;
    await ferry.setServer(proxy.url);
    const plan = faultPlan(rng.fork(`proxy-${i}`), faultRate, cfg.broken);
    proxy.setPlan(plan);
    clients.push({ name, ferry, offline: false, plan, proxy });
  }

  // Creation order, to pick rows in a replayable order (ids hold random bits).
  const order = new Map<string, number>();
  let syncs = 0;
  const inFlight: Promise<unknown>[] = [];
  const startSync = (c: SimClient): void => {
    syncs += 1;
    inFlight.push(
      c.ferry.sync().catch((e: unknown) => {
        // Faults may only ever look like network failures to the engine.
        if (!(e instanceof FerryError && e.kind === 'network'))
          diffs.push(`${c.name}: unexpected sync error during faults: ${describeError(e)}`);
      }),
    );
  };

  try {
    for (let step = 0; step < steps; step++) {
      const c = rng.pick(clients);
      const r = rng.next();
      const label = `s${cfg.seed}-${step}-${c.name}`;
      if (r < 0.2) {
        const note = await c.ferry.tables.notes.create({
          title: `title ${label}`,
          content: `content ${label}`,
        });
        order.set(note.id, order.size);
      } else if (r < 0.45) {
        const row = await pickRow(c.ferry, rng, order, 'any');
        if (row) {
          const which = rng.int(3);
          await c.ferry.tables.notes.update(row.id, {
            ...(which !== 1 ? { title: `title ${label}` } : {}),
            ...(which !== 0 ? { content: `content ${label}` } : {}),
          });
        }
      } else if (r < 0.55) {
        const row = await pickRow(c.ferry, rng, order, 'live');
        if (row) await c.ferry.tables.notes.remove(row.id);
      } else if (r < 0.63) {
        const row = await pickRow(c.ferry, rng, order, 'deleted');
        if (row) await c.ferry.tables.notes.restore(row.id);
      } else if (r < 0.88) {
        startSync(c);
      } else if (r < 0.95) {
        c.offline = !c.offline;
        c.proxy.setPlan(c.offline ? offlinePlan : c.plan);
      } else {
        await sleep(rng.int(15));
      }
      // Let requests in flight make progress between operations.
      await new Promise((res) => setImmediate(res));
    }

    // The faults stop; every client comes online and syncs until nothing moves.
    for (const c of clients) c.proxy.setPlan(noFaults);
    await Promise.all(inFlight);
    syncs += await quiesce(clients, diffs);

    const reference = await freshClient(serverUrl, token);
    const serverRows = await reference.tables.notes.list({ deleted: true });
    await reference.close();
    if (cfg.modelCheck === 'ids') {
      const onServer = new Set(serverRows.map((r) => r.id));
      for (const id of model.ids())
        if (!onServer.has(id)) diffs.push(`server vs model: ${id} missing on the server`);
    } else {
      diffs.push(...model.diff(serverRows).map((d) => `server vs model: ${d}`));
    }
    for (const c of clients) {
      const rows = await c.ferry.tables.notes.list({ deleted: true });
      diffs.push(...diffRows('server', serverRows, c.name, rows));
      const [rejected, conflicts] = [await c.ferry.rejected(), await c.ferry.conflicts()];
      if (rejected.length > 0)
        diffs.push(
          `${c.name}: ${rejected.length} rejected change(s): ${rejected[0]!.code} ${rejected[0]!.message}`,
        );
      if (conflicts.length > 0) diffs.push(`${c.name}: ${conflicts.length} conflict(s)`);
    }
    // (A seed may make no write at all: about 1 in 7 500 never draws a create in 40 steps.)
    if (model.writes === 0 && order.size > 0)
      diffs.push('the model recorded no writes: is the recording driver still seeing the outbox?');
  } finally {
    await Promise.allSettled(inFlight);
    for (const c of clients) await c.ferry.close();
  }
  return { seed: cfg.seed, diffs, writes: model.writes, syncs, faults: since(before, lane) };
}

/** A client that has never written: its pull is the server's state. */
async function freshClient(serverUrl: string, token: string): Promise<Ferry<typeof ferryTables>> {
  const ferry = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(token),
  });
  await ferry.setServer(serverUrl);
  const outcome = await ferry.sync();
  if (!outcome.complete) throw new Error('fresh client: pull incomplete');
  return ferry;
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

async function pickRow(
  ferry: Ferry<typeof ferryTables>,
  rng: Rng,
  order: ReadonlyMap<string, number>,
  which: 'any' | 'live' | 'deleted',
): Promise<Note | null> {
  const rows = await ferry.tables.notes.list({
    deleted: which === 'any' ? true : which === 'deleted' ? 'only' : false,
  });
  if (rows.length === 0) return null;
  // list() orders by updated_at, which differs between runs; creation order is replayable.
  rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return rng.pick(rows);
}

function faultPlan(rng: Rng, rate: number, broken: SimConfig['broken']): FaultPlan {
  const base = seededFaults(rng, rate);
  if (broken !== 'ack-without-apply') return base;
  return (req) =>
    req.path === '/v1/sync' && rng.chance(0.3)
      ? { fault: Fault.ackWithoutApply, delayMs: 0 }
      : base(req);
}

function snapshot(lane: SimLane): Record<Fault, number>[] {
  return lane.proxies.map((p) => ({ ...p.counts }));
}

function since(before: Record<Fault, number>[], lane: SimLane): Record<Fault, number> {
  const out = Object.fromEntries(Object.values(Fault).map((f) => [f, 0])) as Record<Fault, number>;
  lane.proxies.forEach((p, i) => {
    for (const f of Object.values(Fault)) out[f] += p.counts[f] - (before[i]?.[f] ?? 0);
  });
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
