/**
 * What the UI reads again after the user's own writes, against an engine stand-in that counts
 * its reads: each read queues in the database with the user's next write (in the web app, in
 * the one database worker), so a burst of local writes must not cost a list query each, and a
 * local note write re-reads nothing that it cannot change.
 */
import type { FerryEvent } from '@ferry/client';
import { TEXT_CONFLICTS_TABLE } from '@ferry/protocol';
import { describe, expect, it } from 'vitest';
import { createNotesList, LOCAL_REFRESH_MS } from '../src/state/notes.ts';
import { createTextConflicts } from '../src/state/text-conflicts.ts';

/** Counts the reads; `write` announces a local write of `table` as the engine does. */
function countingEngine() {
  const listeners = new Set<(e: FerryEvent) => void>();
  const reads = { list: 0, count: 0, textConflicts: 0 };
  return {
    reads,
    subscribe(l: (e: FerryEvent) => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    write(table: string, origin: 'local' | 'remote' = 'local') {
      for (const l of listeners) l({ type: 'changed', table, ids: ['x'], origin });
    },
    tables: {
      notes: {
        list: () => {
          reads.list++;
          return Promise.resolve([]);
        },
        count: () => {
          reads.count++;
          return Promise.resolve(0);
        },
      },
    },
    textConflicts: () => {
      reads.textConflicts++;
      return Promise.resolve([]);
    },
    resolveTextConflict: () => Promise.resolve(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = (e: unknown): never => {
  throw e;
};

describe('reads after local writes', () => {
  it('the notes list reads once for a burst of local writes, within a frame of the first', async () => {
    const engine = countingEngine();
    const list = createNotesList(engine, fail);
    await sleep(5);
    expect(engine.reads.list).toBe(1); // the first page
    // Each write once the list has answered the one before (without the frame: a read each).
    for (let i = 0; i < 5; i++) {
      engine.write('notes');
      await new Promise((r) => setImmediate(r));
    }
    await sleep(LOCAL_REFRESH_MS * 3);
    expect(engine.reads.list).toBe(2);
    list.dispose();
  });

  it('text conflicts are read again for a conflict change or a pulled note, not a local note write', async () => {
    const engine = countingEngine();
    const conflicts = createTextConflicts(engine, fail);
    await sleep(5);
    expect(engine.reads.textConflicts).toBe(1);
    engine.write('notes');
    await sleep(5);
    expect(engine.reads.textConflicts).toBe(1);
    engine.write('notes', 'remote');
    await sleep(5);
    expect(engine.reads.textConflicts).toBe(2);
    engine.write(TEXT_CONFLICTS_TABLE);
    await sleep(5);
    expect(engine.reads.textConflicts).toBe(3);
    conflicts.dispose();
  });
});
