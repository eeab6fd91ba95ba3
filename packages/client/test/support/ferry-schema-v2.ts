import { defineTable } from '@ferry/protocol';

/**
 * Ferry's table declarations as schema 2 had them (before notebooks): what a device of the
 * previous app version opens its engine with. Kept as it was, never edited.
 */
export const notesV2 = defineTable('notes', {
  fields: {
    title: { type: 'text', maxChars: 1000 },
    content: { type: 'text', maxBytes: 1024 * 1024, merge: 'text', mergeSince: 2, default: '' },
  },
  timestamps: { createdAt: 'created_at', updatedAt: 'updated_at', deletedAt: 'deleted_at' },
  search: ['title', 'content'],
});

/** The options of a schema-2 engine. */
export const ferrySchemaV2 = { tables: [notesV2] as const, schemaVersion: 2 } as const;
