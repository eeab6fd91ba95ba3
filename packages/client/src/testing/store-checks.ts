import { openFerry } from '../ferry.ts';
import { memoryTokenStore } from '../token-store.ts';
import { equal, rejects, type Check } from './assert.ts';
import { searchChecks } from './search-checks.ts';
import { schema, withEngine, type MakeStoreDriver } from './store-fixture.ts';

export type { MakeStoreDriver } from './store-fixture.ts';

/**
 * The engine's storage behaviour on any SqlDriver: migrations, write + outbox atomicity, applying
 * a sync response, rollback of a half-applied response, the in-flight edit. Runs without a
 * server (against FakeRemote) and without a test framework, so the desktop app can run it in its
 * webview on the Tauri driver.
 */
export const storeChecks: Check<MakeStoreDriver>[] = [
  {
    name: 'opening twice migrates once and keeps the client id',
    run: async (make) => {
      const d = await make();
      const a = await openFerry({ ...schema, driver: d, tokenStore: memoryTokenStore() });
      const b = await openFerry({ ...schema, driver: d, tokenStore: memoryTokenStore() });
      equal(b.clientId, a.clientId, 'same client id');
      await d.close();
    },
  },
  {
    name: 'a write commits the row and its outbox entry together',
    run: (make) =>
      withEngine(make, async (f) => {
        const n = await f.tables.tasks.create({ title: 'hello', due: '2026-01-02T03:04:05.000Z' });
        equal(
          [
            n.title,
            n.done,
            n.due,
            n.synced,
            n.version,
            n.deleted_at,
            n.created_at === n.updated_at,
          ],
          ['hello', 0, '2026-01-02T03:04:05.000Z', 0, 0, null, true],
          'row as written',
        );
        await f.tables.tasks.update(n.id, { title: 'hello again' });
        await f.tables.tasks.remove(n.id);
        const q = await f.outbox();
        equal(
          q.map((e) => e.op),
          ['upsert', 'upsert', 'delete'],
          'three outbox entries in order',
        );
        equal(
          q.map((e) => e.recordId),
          [n.id, n.id, n.id],
          'all for the task',
        );
        await rejects(
          f.tables.tasks.create({ title: 'x'.repeat(2000) }),
          'invalid input is refused',
        );
        equal((await f.outbox()).length, 3, 'a refused write queues nothing');
      }),
  },
  {
    name: 'sync clears acknowledged entries, applies pulled rows and marks synced',
    run: (make) =>
      withEngine(make, async (f, remote) => {
        const n = await f.tables.tasks.create({ title: 'mine' });
        const t = new Date().toISOString();
        remote.put('tasks', {
          id: '0193a1c3-0000-7000-8000-0000000000aa',
          title: 'theirs',
          done: 0,
          due: null,
          created_at: t,
          updated_at: t,
          deleted_at: null,
        });
        const out = await f.sync();
        equal([out.pushed, out.complete], [1, true], 'one pushed, complete');
        equal(await f.outbox(), [], 'outbox empty');
        const mine = await f.tables.tasks.get(n.id);
        equal([mine?.synced, mine?.version], [1, 1], 'my row is synced at version 1');
        const theirs = await f.tables.tasks.get('0193a1c3-0000-7000-8000-0000000000aa');
        equal(theirs?.title, 'theirs', 'the pulled row is here');
        equal(f.status().pending, 0, 'status shows nothing pending');
      }),
  },
  {
    name: 'an edit made while a sync is in flight stays queued and is pushed next time',
    run: (make) =>
      withEngine(make, async (f, remote) => {
        const n = await f.tables.tasks.create({ title: 'before' });
        remote.during = async () => {
          await f.tables.tasks.update(n.id, { title: 'during' });
        };
        await f.sync();
        const row = await f.tables.tasks.get(n.id);
        equal(
          [row?.title, row?.synced],
          ['during', 0],
          'the in-flight edit is kept and not marked synced',
        );
        equal((await f.outbox()).length, 1, 'it is still queued');
        await f.sync();
        equal(remote.get(n.id)?.title, 'during', 'the server got it');
        equal((await f.tables.tasks.get(n.id))?.synced, 1, 'now synced');
      }),
  },
  {
    name: 'a crash in the middle of applying a response leaves nothing half-applied',
    run: async (make) => {
      for (const step of ['acknowledged', 'pulled'] as const) {
        await withEngine(
          make,
          async (f, remote) => {
            const n = await f.tables.tasks.create({ title: 'x' });
            const t = new Date().toISOString();
            remote.put('tasks', {
              id: '0193a1c3-0000-7000-8000-0000000000bb',
              title: 'r',
              done: 0,
              due: null,
              created_at: t,
              updated_at: t,
              deleted_at: null,
            });
            await rejects(f.sync(), 'the sync fails');
            equal(
              (await f.outbox()).map((e) => e.recordId),
              [n.id],
              `after a crash at ${step}, the entry is still queued`,
            );
            equal(
              await f.tables.tasks.get('0193a1c3-0000-7000-8000-0000000000bb'),
              null,
              'the pulled row is not there',
            );
            equal((await f.tables.tasks.get(n.id))?.synced, 0, 'not marked synced');
          },
          step,
        );
      }
    },
  },
  ...searchChecks,
];

/** Runs every store check; throws on the first failure. */
export async function runStoreChecks(make: MakeStoreDriver): Promise<void> {
  for (const c of storeChecks) {
    try {
      await c.run(make);
    } catch (e) {
      throw new Error(`${c.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
