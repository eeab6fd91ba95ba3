import { defineTable } from '@ferry/protocol';
import type { SqlDriver } from '../driver.ts';
import { openFerry, type Ferry } from '../ferry.ts';
import { memoryTokenStore } from '../token-store.ts';
import { FakeRemote } from './fake-remote.ts';

/**
 * The table the checks write: an app's table like any other (the engine names none of its own),
 * with a default, a nullable field and both timestamps.
 */
const tasks = defineTable('tasks', {
  fields: {
    title: { type: 'text', maxChars: 1000 },
    done: { type: 'integer', default: 0 },
    due: { type: 'timestamp', nullable: true },
  },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
  search: ['title'],
});
export const schema = { tables: [tasks], schemaVersion: 1 } as const;
export type Engine = Ferry<typeof schema.tables>;

/** Makes a new, empty database. */
export type MakeStoreDriver = () => Promise<SqlDriver>;

export async function withEngine(
  make: MakeStoreDriver,
  fn: (f: Engine, remote: FakeRemote, d: SqlDriver) => Promise<void>,
  failAt?: 'acknowledged' | 'pulled',
): Promise<void> {
  const d = await make();
  const remote = new FakeRemote();
  const f = await openFerry(
    { ...schema, driver: d, tokenStore: memoryTokenStore(), http: remote.http },
    failAt
      ? {
          applyProbe: (step) => {
            if (step === failAt) throw new Error('simulated crash');
          },
        }
      : {},
  );
  await f.login('http://127.0.0.1:9', 'me@example.com', 'password1');
  try {
    await fn(f, remote, d);
  } finally {
    await f.close();
  }
}
