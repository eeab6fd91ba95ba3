import { describe, expect, it } from 'vitest';
import {
  Limits,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  tableMap,
  type SyncRequest,
  ferryTables,
  withTextConflicts,
} from '@ferry/protocol';
import type { SqlDriver } from '../src/index.ts';
import { ENTRY_OVERHEAD_BYTES, nextBatch, toMutation, type SizedEntry } from '../src/outbox.ts';
import { openNodeDriver } from '../src/node/index.ts';
import { openTestFerry, tempDbPath } from './helpers.ts';

const MiB = 1024 * 1024;
const tables = tableMap(withTextConflicts(ferryTables));
const wireBytes = (e: SizedEntry): number => Buffer.byteLength(JSON.stringify(toMutation(e)));
const batch = (
  driver: SqlDriver,
  limits: { count?: number; bytes?: number } = {},
): Promise<SizedEntry[]> => driver.transaction((tx) => nextBatch(tx, tables, limits));

describe('outbox batches are cut by size', () => {
  it("an entry's measured size is an upper bound of its JSON on the wire, within ENTRY_OVERHEAD_BYTES", async () => {
    const driver = await openNodeDriver(tempDbPath());
    const f = await openTestFerry({ driver });
    const contents = [
      '',
      'plain',
      '"quotes" and \\backslashes\\',
      '\u0001\u001f control',
      'emoji 🎉 and accents é',
      'lone \udc00 \ud800 surrogates',
      '\u2028\u2029',
    ];
    for (const c of contents) {
      const n = await f.tables.notes.create({ title: c.slice(0, 10), content: c.repeat(1000) });
      await f.tables.notes.update(n.id, { title: `${c} again` });
      await f.tables.notes.remove(n.id);
      await f.tables.notes.restore(n.id);
    }
    const entries = await batch(driver);
    expect(entries.length).toBe(contents.length * 4);
    for (const e of entries) {
      const exact = wireBytes(e) + 1; // and the comma between mutations
      expect(e.bytes).toBeGreaterThanOrEqual(exact);
      expect(e.bytes - exact).toBeLessThanOrEqual(ENTRY_OVERHEAD_BYTES);
    }
    await f.close();
  });

  it('a batch stays within the byte budget, but always holds at least one entry', async () => {
    const driver = await openNodeDriver(tempDbPath());
    const f = await openTestFerry({ driver });
    for (let i = 0; i < 10; i++)
      await f.tables.notes.create({ title: `n${i}`, content: 'x'.repeat(10_000) });
    const all = await batch(driver);
    const one = all[0]!.bytes;
    expect((await batch(driver, { bytes: 3 * one + 10 })).length).toBe(3);
    expect((await batch(driver, { bytes: 1 })).length).toBe(1);
    expect((await batch(driver, { bytes: 100 * one, count: 4 })).length).toBe(4);
    expect((await batch(driver, { bytes: 3 * one + 10 })).map((e) => e.seq)).toEqual(
      all.slice(0, 3).map((e) => e.seq),
    );
    await f.close();
  });

  it('the largest mutation the field limits allow fits in one request under the default body limit', async () => {
    const driver = await openNodeDriver(tempDbPath());
    const f = await openTestFerry({ driver });
    // Worst case for JSON: every byte of content and every character of the title escapes to \u00XX.
    const n = await f.tables.notes.create({
      title: '\u0001'.repeat(1000),
      content: '\u0001'.repeat(MiB),
    });
    await f.tables.notes.remove(n.id);
    const entries = await batch(driver);
    const req: SyncRequest = {
      protocol: PROTOCOL_VERSION,
      clientId: f.clientId,
      schemaVersion: FERRY_SCHEMA_VERSION,
      cursor: '9223372036854775807',
      mutations: [toMutation(entries[0]!)],
      pullLimit: Limits.maxPullLimit,
    };
    const body = Buffer.byteLength(JSON.stringify(req));
    expect(body).toBeGreaterThan(6 * MiB);
    expect(body).toBeLessThan(6.3 * MiB);
    expect(body).toBeLessThan(Limits.defaultBodyBytes);
    await f.close();
  });
});
