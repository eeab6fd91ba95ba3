import { memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLane, runSeed, type SimLane } from './support/sim.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

// Devices whose clocks are a day off. What is asserted, exactly:
// 1. Causal order: an edit made after seeing another edit wins, for every assignment of
//    -24 h / 0 / +24 h to the two devices (9 combinations). Plain LWW on device time fails this
//    whenever the first writer's clock is ahead.
// 2. Real-time order against fast clocks: device A edits and syncs; then device B, without having
//    pulled A's edit, edits the same field and syncs. B wins for every assignment of 0 / +24 h
//    (4 combinations): a clock ahead wins nothing, because the server re-stamps stamps from the
//    future with its own clock. (A clock BEHIND cannot be corrected this way: its concurrent edits
//    carry the time of its last sync, so they lose to edits made after that — causal order, case 1,
//    still holds for it.)
// 3. Convergence: seeded random runs through the faulty proxy with clocks +24 h, -24 h and 0 end
//    with every device equal to the server and no written row missing.
const DAY = 24 * 60 * 60 * 1000;
let server: TestServer;
let lane: SimLane;

beforeAll(async () => {
  server = await startTestServer();
  lane = await createLane(server.url);
});
afterAll(async () => {
  await lane?.close();
  await server?.close();
});

let users = 0;
async function account(): Promise<string> {
  const res = await fetch(`${server.url}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `skew-${Date.now()}-${users++}@example.com`,
      password: 'skewed clocks!',
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

async function device(token: string, skewMs: number): Promise<Ferry<typeof ferryTables>> {
  const ferry = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(token),
    now: () => Date.now() + skewMs,
  });
  await ferry.setServer(server.url);
  return ferry;
}

async function mustSync(f: Ferry<typeof ferryTables>): Promise<void> {
  expect((await f.sync()).complete).toBe(true);
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const label = (ms: number): string => (ms === 0 ? '0' : `${ms > 0 ? '+' : '-'}24h`);

describe('clocks a day off', () => {
  const skews = [-DAY, 0, DAY];
  for (const a of skews) {
    for (const b of skews) {
      it(`causal order wins: A ${label(a)}, B ${label(b)}`, async () => {
        const token = await account();
        const [A, B] = [await device(token, a), await device(token, b)];
        try {
          const note = await A.tables.notes.create({ title: 'base', content: '' });
          await mustSync(A);
          await mustSync(B);
          await A.tables.notes.update(note.id, { title: 'A1' });
          await mustSync(A);
          await mustSync(B);
          expect((await B.tables.notes.get(note.id))?.title).toBe('A1');
          await tick();
          await B.tables.notes.update(note.id, { title: 'B2' });
          await mustSync(B);
          await mustSync(A);
          expect((await A.tables.notes.get(note.id))?.title).toBe('B2');
          await tick();
          await A.tables.notes.update(note.id, { title: 'A3' });
          await A.tables.notes.remove(note.id);
          await mustSync(A);
          await mustSync(B);
          for (const f of [A, B])
            expect(await f.tables.notes.get(note.id)).toMatchObject({
              title: 'A3',
              deleted_at: expect.any(String) as string,
            });
        } finally {
          await A.close();
          await B.close();
        }
      });
    }
  }

  for (const a of [0, DAY]) {
    for (const b of [0, DAY]) {
      it(`a clock ahead does not win a later concurrent edit: A ${label(a)}, B ${label(b)}`, async () => {
        const token = await account();
        const [A, B] = [await device(token, a), await device(token, b)];
        try {
          const note = await A.tables.notes.create({ title: 'base', content: 'base' });
          await mustSync(A);
          await mustSync(B);
          await A.tables.notes.update(note.id, { title: 'from A (earlier)' });
          await mustSync(A);
          await tick();
          // B has not pulled A's edit: the two edits are concurrent; B's is later in real time.
          await B.tables.notes.update(note.id, { title: 'from B (later)' });
          await mustSync(B);
          await mustSync(A);
          for (const f of [A, B])
            expect((await f.tables.notes.get(note.id))?.title).toBe('from B (later)');
        } finally {
          await A.close();
          await B.close();
        }
      });
    }
  }

  it('control: without the server clamp (drift limit raised to 24 h, clock 23 h ahead) the fast clock does win, so the test above can fail', async () => {
    const lax = await startTestServer({ FERRY_MAX_CLOCK_DRIFT_MS: String(DAY) });
    try {
      const res = await fetch(`${lax.url}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'control@example.com', password: 'skewed clocks!' }),
      });
      const { token } = (await res.json()) as { token: string };
      const open = async (skew: number): Promise<Ferry<typeof ferryTables>> => {
        const f = await openFerry({
          ...ferrySchema,
          driver: await openNodeDriver(':memory:'),
          tokenStore: memoryTokenStore(token),
          now: () => Date.now() + skew,
        });
        await f.setServer(lax.url);
        return f;
      };
      const [A, B] = [await open(23 * 60 * 60 * 1000), await open(0)];
      const note = await A.tables.notes.create({ title: 'base', content: '' });
      await mustSync(A);
      await mustSync(B);
      await A.tables.notes.update(note.id, { title: 'from A (earlier)' });
      await mustSync(A);
      await tick();
      await B.tables.notes.update(note.id, { title: 'from B (later)' });
      await mustSync(B);
      expect((await B.tables.notes.get(note.id))?.title).toBe('from A (earlier)');
      await A.close();
      await B.close();
    } finally {
      await lax.close();
    }
  });

  it(
    'seeded random runs with clocks +24 h, -24 h and 0 converge through the faulty network',
    { timeout: 120_000 },
    async () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const r = await runSeed(server.url, lane, {
          seed,
          clockOffsetsMs: [DAY, -DAY, 0],
          modelCheck: 'ids',
        });
        if (r.diffs.length > 0)
          failures.push(`seed ${seed}:\n  ${r.diffs.slice(0, 10).join('\n  ')}`);
      }
      expect(failures).toEqual([]);
    },
  );
});
