import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHttp, type Ferry } from '../src/index.ts';
import { hookedHttp } from './helpers.ts';
import { device, email, startTestServer, type TestServer } from './server.ts';
import { type Note, type ferryTables } from '@ferry/protocol';

/** mulberry32: a small seeded PRNG, so a failing seed replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Model = Map<string, { title: string; content: string; deleted: boolean }>;

const single = process.env.FERRY_CLIENT_SEED;
const count = Number(process.env.FERRY_CLIENT_SEEDS ?? 15);
const seeds =
  single !== undefined ? [Number(single)] : Array.from({ length: count }, (_, i) => i + 1);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/**
 * One seed: a device makes random creates, edits, deletes and restores, some of them while one
 * of its syncs is in flight (between the server's commit and the local apply), and syncs at
 * random. At the end, after a final sync, another device must see exactly the writer's last
 * writes: nothing written locally was lost, in flight or not.
 */
async function runSeed(seed: number): Promise<void> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const user = email();
  const hook = hookedHttp(fetchHttp);
  const a = await device(server, user, { signup: true, http: hook.http });
  const model: Model = new Map();
  const write = async (f: Ferry<typeof ferryTables>): Promise<void> => {
    const ids = [...model.keys()];
    const r = rnd();
    if (ids.length === 0 || r < 0.3) {
      const n = await f.tables.notes.create({
        title: `t${Math.floor(rnd() * 1e6)}`,
        content: `c${Math.floor(rnd() * 1e6)}`,
      });
      model.set(n.id, { title: n.title, content: n.content, deleted: false });
      return;
    }
    const id = pick(ids);
    const m = model.get(id)!;
    if (r < 0.6) {
      const title = rnd() < 0.5 ? `t${Math.floor(rnd() * 1e6)}` : undefined;
      const content =
        title === undefined || rnd() < 0.5 ? `c${Math.floor(rnd() * 1e6)}` : undefined;
      await f.tables.notes.update(id, {
        ...(title !== undefined ? { title } : {}),
        ...(content !== undefined ? { content } : {}),
      });
      if (title !== undefined) m.title = title;
      if (content !== undefined) m.content = content;
    } else if (r < 0.8) {
      await f.tables.notes.remove(id);
      m.deleted = true;
    } else {
      await f.tables.notes.restore(id);
      m.deleted = false;
    }
  };
  for (let step = 0; step < 30; step++) {
    const r = rnd();
    if (r < 0.6) await write(a);
    else {
      if (rnd() < 0.6) {
        const k = 1 + Math.floor(rnd() * 3);
        hook.once(async () => {
          for (let i = 0; i < k; i++) await write(a);
        });
      }
      await a.sync();
    }
  }
  hook.once(() => Promise.resolve());
  await a.sync();
  await a.sync();
  const b = await device(server, user);
  await b.sync();
  const seen = new Map<string, Note>(
    (await b.tables.notes.list({ deleted: true })).map((n) => [n.id, n]),
  );
  const diffs: string[] = [];
  for (const [id, m] of model) {
    const n = seen.get(id);
    if (!n) diffs.push(`${id}: missing on the other device`);
    else if (
      n.title !== m.title ||
      n.content !== m.content ||
      (n.deleted_at !== null) !== m.deleted
    ) {
      diffs.push(
        `${id}: expected ${JSON.stringify(m)}, got ${JSON.stringify({ title: n.title, content: n.content, deleted: n.deleted_at !== null })}`,
      );
    }
  }
  if (seen.size !== model.size)
    diffs.push(`expected ${model.size} notes, the other device has ${seen.size}`);
  expect(await a.outbox(), `seed ${seed}: outbox empty at the end`).toEqual([]);
  await a.close();
  await b.close();
  if (diffs.length > 0)
    throw new Error(`seed ${seed} (replay: FERRY_CLIENT_SEED=${seed}):\n  ${diffs.join('\n  ')}`);
}

describe('random writes, some while a sync is in flight', () => {
  it(
    `never lose a local write (${seeds.length} seeds; FERRY_CLIENT_SEEDS=n for more, FERRY_CLIENT_SEED=s to replay)`,
    { timeout: 30_000 + seeds.length * 5_000 },
    async () => {
      console.log(`in-flight random writes: seeds ${seeds[0]}..${seeds.at(-1)}`);
      for (const seed of seeds) await runSeed(seed);
    },
  );
});
