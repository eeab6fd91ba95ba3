/**
 * Ferry's own app schema: the tables of the notes app (the CLI, the desktop app and `npm start`
 * use it). It is an app of the engine like any other: nothing in the engine or the server names
 * these tables; they are handed in (`openFerry({ ...ferrySchema, … })`, `createServer({
 * ...ferrySchema, … })`). The engine adds `text_conflicts` itself (engine-tables.ts).
 */
import { defineTable } from './define-table.ts';

/**
 * Version of Ferry's table declarations. Bump when a declared table or field changes.
 *
 * Changelog:
 * - 1: `notes` with the seed's columns.
 * - 2: `notes.content` merges as text; the engine's server-written `text_conflicts` table. A
 *   client of schema 1 is still served: it is never sent `text_conflicts` rows (see `servedTo`).
 * - 3: `notebooks`, and `notes.notebook_id` (nullable). Clients of schema 1 and 2 are still served:
 *   they are never sent notebooks or `notebook_id`, and their writes leave it as it is.
 */
export const FERRY_SCHEMA_VERSION = 3;
/** The oldest schema version Ferry's server still serves. */
export const FERRY_MIN_SCHEMA_VERSION = 1;

/** A note: the seed's columns. */
export const notes = defineTable('notes', {
  fields: {
    title: { type: 'text', maxChars: 1000 },
    content: { type: 'text', maxBytes: 1024 * 1024, merge: 'text', mergeSince: 2, default: '' },
    /** The notebook the note is in; null: none. */
    notebook_id: { type: 'uuid', nullable: true, since: 3 },
  },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
  search: ['title', 'content'],
});

/** A notebook: a named group of notes (schema 3). */
export const notebooks = defineTable('notebooks', {
  fields: { name: { type: 'text', maxChars: 200 } },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
  search: ['name'],
  since: 3,
});

/** A note as the engine returns it. */
export type Note = NonNullable<(typeof notes)['~types']>['row'];
/** A notebook as the engine returns it. */
export type Notebook = NonNullable<(typeof notebooks)['~types']>['row'];

/** Ferry's tables, in the order they are created. */
export const ferryTables = [notes, notebooks] as const;

/** Everything the engine and the server need to know about Ferry's schema, to spread into their options. */
export const ferrySchema = {
  tables: ferryTables,
  schemaVersion: FERRY_SCHEMA_VERSION,
  minSchemaVersion: FERRY_MIN_SCHEMA_VERSION,
} as const;
