/** The engine as Ferry's notes app opens it: with Ferry's own tables (`@ferry/protocol`'s ferrySchema). */
import type { Ferry } from '@ferry/client';
import type { ferryTables } from '@ferry/protocol';

/** The engine with Ferry's tables: `ferry.tables.notes` is typed from the notes declaration. */
export type NotesFerry = Ferry<typeof ferryTables>;
