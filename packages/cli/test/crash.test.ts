import Database from 'better-sqlite3';
import { join } from 'node:path';
import { memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileTokenStore } from '../src/token-store.ts';
import { collect, spawnFerry } from './support/cli.ts';
import { WriteModel } from './support/model.ts';
import { mulberry32, type Rng } from './support/prng.ts';
import { recordingDriver } from './support/recording-driver.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

// Crash safety: `ferry sync` processes with thousands of queued changes are killed with SIGKILL at
// seeded random moments, 50 times (FERRY_CRASH_KILLS), with more local writes between kills. After
// every kill the database must pass PRAGMA integrity_check and the outbox must agree with the rows.
// At the end one clean sync must leave the server with every change exactly once: the server's
// own counters show each write applied once (no loss, no second application under a new seq) and
// the rows equal the model of all writes. Replay: FERRY_CRASH_SEED=n.
const SEED = Number(process.env.FERRY_CRASH_SEED ?? 1);
const KILLS = Number(process.env.FERRY_CRASH_KILLS ?? 50);

let server: TestServer;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  // Small pulls make one sync many request/commit rounds, so kills land between and inside them.
  server = await startTestServer({ FERRY_MAX_PULL_LIMIT: '10' });
  dir = await tempDir('ferry-crash-');
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

async function metric(status: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^ferry_mutations_total\\{status="${status}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Opens the engine on the CLI's database, recording every write into the model. */
async function openRecorded(dbPath: string, model: WriteModel): Promise<Ferry> {
  const driver = recordingDriver(await openNodeDriver(dbPath), (entries) => {
    for (const e of entries) model.record({ client: 'cli', table: e.table, id: e.recordId, hlc: e.hlc, fields: e.fields });
  });
  return openFerry({ driver, tokenStore: fileTokenStore(`${dbPath}.token`) });
}

async function randomWrites(ferry: Ferry, rng: Rng, count: number, ids: string[], tag: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (ids.length === 0 || r < 0.4) {
      ids.push((await ferry.notes.create({ title: `t ${tag}.${i}`, content: `c ${tag}.${i}` })).id);
    } else if (r < 0.8) {
      await ferry.notes.update(rng.pick(ids), rng.chance(0.5) ? { title: `t ${tag}.${i}` } : { content: `c ${tag}.${i}` });
    } else if (r < 0.9) {
      await ferry.notes.remove(rng.pick(ids));
    } else {
      await ferry.notes.restore(rng.pick(ids));
    }
  }
}

/** What must hold in the database file after any crash. */
function checkDatabase(dbPath: string): { pending: number; cursor: string; problems: string[] } {
  const db = new Database(dbPath);
  try {
    const problems: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const orphans = db.prepare('SELECT count(*) AS n FROM sync_queue q WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.id = q.record_id)').get() as { n: number };
    if (orphans.n > 0) problems.push(`${orphans.n} outbox entries without a row`);
    const syncedButQueued = db
      .prepare('SELECT count(*) AS n FROM notes n WHERE n.synced = 1 AND EXISTS (SELECT 1 FROM sync_queue q WHERE q.record_id = n.id)')
      .get() as { n: number };
    if (syncedButQueued.n > 0) problems.push(`${syncedButQueued.n} rows marked synced with changes still queued`);
    const entries = db.prepare('SELECT seq, hlc FROM sync_queue ORDER BY seq').all() as { seq: number; hlc: string }[];
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.hlc <= entries[i - 1]!.hlc) problems.push(`outbox stamps out of order at seq ${entries[i]!.seq}`);
    }
    const state = db.prepare("SELECT key, value FROM app_state WHERE key IN ('client_id', 'cursor')").all() as { key: string; value: string }[];
    if (!state.some((s) => s.key === 'client_id')) problems.push('client id lost');
    return { pending: entries.length, cursor: state.find((s) => s.key === 'cursor')?.value ?? '0', problems };
  } finally {
    db.close();
  }
}

describe('SIGKILL during sync', () => {
  it(`${KILLS} kills at random moments leave a consistent database and lose or repeat nothing (seed ${SEED})`, { timeout: 60_000 + KILLS * 6_000 }, async () => {
    const rng = mulberry32(SEED);
    const dbPath = join(dir.path, 'crash.db');
    const model = new WriteModel();
    const ids: string[] = [];
    const appliedBefore = await metric('applied');

    let ferry = await openRecorded(dbPath, model);
    await ferry.signup(server.url, `crash-${Date.now()}@example.com`, 'crash test password');
    await randomWrites(ferry, rng, 1000, ids, 'w0');
    await ferry.close();

    const outcomes = { killedWithProgress: 0, killedBlind: 0, finishedFirst: 0, killedAfterPartialProgress: 0 };
    let timeToProgress = 1500;
    for (let kill = 1; kill <= KILLS; kill++) {
      const before = checkDatabase(dbPath);
      const child = spawnFerry(['sync', '--progress', '--db', dbPath]);
      const done = collect(child);
      const started = Date.now();
      const afterProgress = rng.chance(0.5);
      const delay = afterProgress ? rng.int(150) : rng.int(Math.max(200, 2 * timeToProgress));
      const fire = (): void => {
        child.kill('SIGKILL');
      };
      if (afterProgress) {
        child.stderr!.once('data', () => {
          timeToProgress = Date.now() - started;
          setTimeout(fire, delay);
        });
      } else {
        setTimeout(fire, delay);
      }
      const result = await done;
      if (result.signal !== 'SIGKILL') {
        outcomes.finishedFirst += 1;
        expect(result.code, `sync exited ${result.code}: ${result.stderr}`).toBe(0);
      } else if (afterProgress) outcomes.killedWithProgress += 1;
      else outcomes.killedBlind += 1;

      const after = checkDatabase(dbPath);
      expect(after.problems, `after kill ${kill} (seed ${SEED}): ${after.problems.join('; ')}`).toEqual([]);
      // Killed after at least one round was committed: the interesting case.
      if (result.signal === 'SIGKILL' && (after.pending < before.pending || after.cursor !== before.cursor)) outcomes.killedAfterPartialProgress += 1;

      // More local writes between crashes, so there is always something queued.
      ferry = await openRecorded(dbPath, model);
      await randomWrites(ferry, rng, 60 + rng.int(100), ids, `w${kill}`);
      await ferry.close();
    }

    const final = await collect(spawnFerry(['sync', '--db', dbPath]));
    expect(final.code, final.stderr).toBe(0);
    expect(checkDatabase(dbPath).pending).toBe(0);

    // Exactly once: the server applied each write one time, and re-sent batches were recognised
    // as duplicates (by seq), never re-applied under a new seq (which would show as superseded).
    const appliedNow = (await metric('applied')) - appliedBefore;
    expect(appliedNow).toBe(model.writes);
    expect(await metric('superseded')).toBe(0);

    const token = (await fileTokenStore(`${dbPath}.token`).get())!;
    const fresh = await openFerry({ driver: await openNodeDriver(':memory:'), tokenStore: memoryTokenStore(token) });
    await fresh.setServer(server.url);
    await fresh.sync();
    const serverRows = await fresh.notes.list({ deleted: true });
    await fresh.close();
    expect(model.diff(serverRows)).toEqual([]);
    console.log(
      `crash: ${KILLS} runs, ${model.writes} writes, ${JSON.stringify(outcomes)}, duplicates re-sent after kills: ${await metric('duplicate')}`,
    );
    // Most runs must really have been killed, not have finished first, or the test proves little.
    expect(outcomes.killedWithProgress + outcomes.killedBlind).toBeGreaterThan(KILLS * 0.4);
  });
});
