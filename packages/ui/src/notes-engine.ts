/** The engine as Ferry's notes app opens it: with Ferry's own tables (`@ferry/protocol`'s ferrySchema). */
import type { Ferry } from '@ferry/client';
import type { ferryTables } from '@ferry/protocol';

/** The engine with Ferry's tables: `ferry.tables.notes` is typed from the notes declaration. */
export type NotesFerry = Ferry<typeof ferryTables>;

/**
 * Rows per pull page in the apps (desktop and web). A page is applied in one local transaction,
 * and a save from the UI waits for at most that one (docs/desktop.md, "How long a UI write
 * waits"): 1 000 rows of ~200 characters keep it near 40 ms in the release desktop app. The
 * engine's default (5 000, the `pageLimit` extension) suits the CLI, where nobody is typing.
 */
export const UI_PULL_LIMIT = 1000;
