// The app's one synced table, declared once for the devices and the server alike. `defineTable`
// adds `id`, the server's `version` and the soft-delete field; row types are inferred from it.
import { defineTable, type RowOf } from '@ferry/protocol';

export const todos = defineTable('todos', {
  fields: {
    title: { type: 'text', maxChars: 200 },
    done: { type: 'integer', default: 0 },
  },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' },
});

/** What the engine and the server are opened with: the app's tables and its schema version. */
export const app = { tables: [todos], schemaVersion: 1 } as const;

/** A todo as the engine returns it: the fields above, `id`, `version`, `deleted_at` and the local `synced`. */
export type Todo = RowOf<typeof todos>;
