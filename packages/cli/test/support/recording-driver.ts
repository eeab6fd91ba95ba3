import type { SqlDriver, SqlTx, SqlValue } from '@ferry/client';

/** An outbox entry as the engine inserted it. */
export interface CapturedEntry {
  table: string;
  recordId: string;
  op: string;
  fields: Record<string, unknown>;
  hlc: string;
}

/**
 * Wraps a SqlDriver to see every outbox entry the engine writes, with its HLC, reported only once
 * its transaction has committed. This is how the simulation's model learns the stamp of each
 * local write without a hook in the engine. The engine's `INSERT INTO sync_queue (table_name,
 * record_id, operation, fields, hlc, ...)` is the contract relied on; `expectOne` fails loudly if
 * it ever changes, rather than letting the model silently record nothing.
 */
export function recordingDriver(
  inner: SqlDriver,
  onCommit: (entries: CapturedEntry[]) => void,
): SqlDriver {
  return {
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const captured: CapturedEntry[] = [];
      const result = await inner.transaction((tx) =>
        fn({
          run: async (sql: string, params?: readonly SqlValue[]) => {
            const r = await tx.run(sql, params);
            if (/^\s*INSERT INTO "?sync_queue"?/i.test(sql))
              captured.push(decode(sql, params ?? []));
            return r;
          },
          all: <R>(sql: string, params?: readonly SqlValue[]) => tx.all<R>(sql, params),
          exec: (sql: string) => tx.exec(sql),
        }),
      );
      if (captured.length > 0) onCommit(captured);
      return result;
    },
    close: () => inner.close(),
  };
}

function decode(sql: string, params: readonly SqlValue[]): CapturedEntry {
  const cols =
    /\(([^)]*)\)\s*VALUES/i
      .exec(sql)?.[1]
      ?.split(',')
      .map((c) => c.trim().replace(/"/g, '')) ?? [];
  const at = (name: string): SqlValue | undefined => params[cols.indexOf(name)];
  const fields = at('fields');
  const entry = {
    table: String(at('table_name')),
    recordId: String(at('record_id')),
    op: String(at('operation')),
    fields: typeof fields === 'string' ? (JSON.parse(fields) as Record<string, unknown>) : {},
    hlc: String(at('hlc')),
  };
  if (cols.indexOf('hlc') < 0 || cols.indexOf('fields') < 0 || cols.indexOf('record_id') < 0) {
    throw new Error(`recording driver: unexpected outbox insert: ${sql}`);
  }
  return entry;
}
