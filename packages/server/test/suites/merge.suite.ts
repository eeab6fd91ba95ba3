import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatHlc, hlcNode, notes, withPolicy, type Mutation } from '@ferry/protocol';
import type { Backend } from '../backends.ts';
import {
  Device,
  newId,
  newNote,
  signup,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../helpers.ts';

const DAY = 24 * 60 * 60 * 1000;

/** One concurrent write in the permutation test. */
interface Op {
  readonly kind: 'title' | 'content' | 'delete' | 'restore';
  readonly value: string;
  readonly wall: number;
  readonly counter: number;
  readonly device: number;
}

const fieldOf = (op: Op): string =>
  op.kind === 'title' ? 'title' : op.kind === 'content' ? 'content' : 'deleted_at';
const valueOf = (op: Op): unknown =>
  op.kind === 'restore'
    ? null
    : op.kind === 'delete'
      ? `2026-01-01T00:00:${op.value.padStart(2, '0').slice(0, 2)}.000Z`
      : op.value;

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]),
  );
}

/** Per-field merge, the version policy, soft delete and the future-clock clamp. */
export function mergeSuite(backend: Backend, opts: { runs?: number } = {}): void {
  describe(`merge [${backend.name}]`, () => {
    let s: TestServer;
    let u: TestUser;
    beforeAll(async () => {
      s = await startTestServer({}, backend.makeDb);
      u = await signup(s.url);
    });
    afterAll(async () => {
      await s.close();
    });

    it('keeps concurrent edits of different fields from two devices', async () => {
      const a = new Device(s.url, u.token);
      const b = new Device(s.url, u.token);
      const id = newId();
      await a.sync([a.mutation('notes', id, 'upsert', newNote('t0', 'c0'))]);
      await b.sync();
      const ma = a.mutation('notes', id, 'upsert', { title: 'title from a' }, 1);
      const mb = b.mutation('notes', id, 'upsert', { content: 'content from b' }, 1);
      const [ra, rb] = await Promise.all([a.sync([ma]), b.sync([mb])]);
      expect(ra.body.results[0]!.status).toBe('applied');
      expect(rb.body.results[0]!.status).toBe('applied');
      const final = await new Device(s.url, u.token).sync();
      expect(final.body.changes[0]!.row).toMatchObject({
        id,
        title: 'title from a',
        content: 'content from b',
        version: 3,
      });
    });

    it('gives a superseded result when newer writes hold every field', async () => {
      const a = new Device(s.url, u.token);
      const id = newId();
      const older = a.clock.now();
      await a.sync([a.mutation('notes', id, 'upsert', newNote('newer', 'c'))]);
      const r = await a.sync([a.mutation('notes', id, 'upsert', { title: 'older' }, 1, older)]);
      expect(r.body.results[0]).toEqual({ seq: 2, status: 'superseded', version: 1 });
    });

    it('does not let a client 24 h in the future win', async () => {
      const future = new Device(s.url, u.token, () => Date.now() + DAY);
      const present = new Device(s.url, u.token);
      const id = newId();
      const r = await future.sync([
        future.mutation('notes', id, 'upsert', newNote('from the future', 'x')),
      ]);
      expect(r.body.results[0]).toEqual({
        seq: 1,
        status: 'applied',
        version: 1,
        clockAdjusted: true,
      });
      await present.sync();
      const edit = await present.sync([
        present.mutation('notes', id, 'upsert', { title: 'from now' }, 1),
      ]);
      expect(edit.body.results[0]).toMatchObject({ status: 'applied', version: 2 });
      expect(edit.body.changes.at(-1)!.row).toMatchObject({ id, title: 'from now' });
      // Its next write is clamped again and wins only because it really is later.
      expect(BigInt(edit.body.serverHlc.slice(0, 15))).toBeLessThan(BigInt(Date.now() + 60_000));
    });

    it('soft-deletes, keeps a row deleted through a later edit, restores with deleted_at: null', async () => {
      const a = new Device(s.url, u.token);
      const id = newId();
      await a.sync([a.mutation('notes', id, 'upsert', newNote('n', 'c'))]);
      const del = await a.sync([a.mutation('notes', id, 'delete', {}, 1)]);
      expect(del.body.results[0]).toMatchObject({ status: 'applied', version: 2 });
      const deletedAt = del.body.changes.at(-1)!.row.deleted_at;
      expect(typeof deletedAt).toBe('string');
      const edit = await a.sync([
        a.mutation('notes', id, 'upsert', { title: 'edited while deleted' }, 2),
      ]);
      expect(edit.body.changes.at(-1)!.row).toMatchObject({
        title: 'edited while deleted',
        deleted_at: deletedAt,
      });
      const restore = await a.sync([a.mutation('notes', id, 'upsert', { deleted_at: null }, 3)]);
      expect(restore.body.changes.at(-1)!.row).toMatchObject({
        title: 'edited while deleted',
        deleted_at: null,
        version: 4,
      });
    });

    it('converges on every arrival order of concurrent edits, deletes and restores (property)', async () => {
      const seed = process.env.FERRY_SEED
        ? Number(process.env.FERRY_SEED)
        : Math.floor(Math.random() * 2 ** 31);
      console.log(`merge permutation property: FERRY_SEED=${seed}`);
      const devices = [0, 1, 2, 3].map(() => new Device(s.url, u.token));
      const base = Date.now() - 10_000;
      const op = fc.record({
        kind: fc.constantFrom<Op['kind']>('title', 'content', 'delete', 'restore'),
        value: fc.integer({ min: 0, max: 59 }).map(String),
        wall: fc.integer({ min: 1, max: 3 }),
        counter: fc.integer({ min: 0, max: 2 }),
        device: fc.integer({ min: 0, max: 3 }),
      });
      // `content` merges three-way, and a device's later text edit is built on its own earlier
      // one in seq order; a device's seqs and stamps rise together, so two content edits of one
      // device arriving against their stamp order cannot happen: at most one per device here.
      const ops = fc
        .uniqueArray(op, {
          minLength: 2,
          maxLength: 4,
          selector: (o) => `${o.wall}/${o.counter}/${o.device}`,
        })
        .filter((list) => {
          const writers = list.filter((o) => o.kind === 'content').map((o) => o.device);
          return new Set(writers).size === writers.length;
        });
      await fc.assert(
        fc.asyncProperty(ops, async (list) => {
          const creator = devices[0]!;
          const perms = permutations(list.map((_, i) => i));
          const ids = perms.map(() => newId());
          const created = formatHlc({ wall: base, counter: 0, node: hlcNode(creator.clientId) });
          await creator.sync(
            ids.map((id) =>
              creator.mutation('notes', id, 'upsert', newNote('t0', 'c0'), null, created),
            ),
          );
          // Step k: every op that arrives k-th somewhere is sent by its own device, for those rows.
          for (let k = 0; k < list.length; k++) {
            for (let j = 0; j < list.length; j++) {
              const o = list[j]!;
              const dev = devices[o.device]!;
              const hlc = formatHlc({
                wall: base + o.wall,
                counter: o.counter,
                node: hlcNode(dev.clientId),
              });
              const muts: Mutation[] = [];
              perms.forEach((p, r) => {
                if (p[k] !== j) return;
                const fields = { [fieldOf(o)]: valueOf(o) };
                muts.push(
                  dev.mutation(
                    'notes',
                    ids[r]!,
                    o.kind === 'delete' ? 'delete' : 'upsert',
                    fields,
                    null,
                    hlc,
                  ),
                );
              });
              if (muts.length > 0) {
                const res = await dev.sync(muts);
                expect(res.status).toBe(200);
              }
            }
          }
          // The model: per field, the write with the greatest HLC.
          const expected: Record<string, unknown> = {
            title: 't0',
            content: 'c0',
            deleted_at: null,
          };
          const best: Record<string, string> = {};
          for (const o of list) {
            const hlc = formatHlc({
              wall: base + o.wall,
              counter: o.counter,
              node: hlcNode(devices[o.device]!.clientId),
            });
            const f = fieldOf(o);
            if (best[f] === undefined || hlc > best[f]) {
              best[f] = hlc;
              expected[f] = valueOf(o);
            }
          }
          const reader = new Device(s.url, u.token);
          const rows = new Map<string, Record<string, unknown>>();
          for (;;) {
            const r = await reader.sync([], { pullLimit: 1000 });
            for (const c of r.body.changes) rows.set(c.row.id, c.row);
            if (!r.body.hasMore) break;
          }
          for (const id of ids) {
            const row = rows.get(id)!;
            expect({ title: row.title, content: row.content, deleted_at: row.deleted_at }).toEqual(
              expected,
            );
          }
        }),
        { seed, numRuns: opts.runs ?? 12 },
      );
    });
  });

  describe(`version policy [${backend.name}]`, () => {
    let s: TestServer;
    let u: TestUser;
    beforeAll(async () => {
      s = await startTestServer({ tables: [withPolicy(notes, 'version')] }, backend.makeDb);
      u = await signup(s.url);
    });
    afterAll(async () => {
      await s.close();
    });

    it('answers a stale baseVersion with conflict and the current row', async () => {
      const a = new Device(s.url, u.token);
      const b = new Device(s.url, u.token);
      const id = newId();
      await a.sync([a.mutation('notes', id, 'upsert', newNote('v1', 'c'))]);
      await b.sync();
      const ra = await a.sync([a.mutation('notes', id, 'upsert', { title: 'a wins' }, 1)]);
      expect(ra.body.results[0]).toEqual({ seq: 2, status: 'applied', version: 2 });
      const rb = await b.sync([b.mutation('notes', id, 'upsert', { content: 'b is stale' }, 1)]);
      expect(rb.body.results[0]).toEqual({
        seq: 1,
        status: 'conflict',
        row: {
          id,
          title: 'a wins',
          content: 'c',
          // Schema 3's column: this device speaks the newest schema (a schema-1 device is not sent it).
          notebook_id: null,
          created_at: expect.any(String) as unknown,
          updated_at: expect.any(String) as unknown,
          deleted_at: null,
          version: 2,
        },
      });
      expect(rb.body.lastMutationSeq).toBe(1);
      // With the current version it applies.
      const again = await b.sync([b.mutation('notes', id, 'upsert', { content: 'b rebased' }, 2)]);
      expect(again.body.results[0]).toEqual({ seq: 2, status: 'applied', version: 3 });
      // A create for an id that exists (baseVersion null) is a conflict too.
      const dup = await b.sync([b.mutation('notes', id, 'upsert', newNote('again', 'x'), null)]);
      expect(dup.body.results[0]).toMatchObject({ status: 'conflict', row: { version: 3 } });
    });
  });
}
