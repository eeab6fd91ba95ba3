/**
 * Live queries for the notes list: re-run on every engine change event (coalesced; a sync's
 * changes at most every REMOTE_REFRESH_MS), on search and on view switches; paginated so a large
 * account shows its first page at once. Changes from sync do not move the rows shown: notes that
 * sort above them are announced (see list-anchor.ts).
 */
import type { Note } from '@ferry/protocol';
import type { NotesFerry } from '../notes-engine.ts';
import { createSignal, type Accessor } from 'solid-js';
import { ListAnchor } from './list-anchor.ts';

export const PAGE_SIZE = 50;

/**
 * A sync's changes re-run the list's query at most this often: each re-run of a search scans every
 * note, and a first sync lands a page every few tens of milliseconds.
 */
export const REMOTE_REFRESH_MS = 250;

/**
 * The user's own writes re-run the list's query once a frame at most: each query queues in the
 * database with the next write (in the web app, in its one worker), and a burst of writes (a
 * paste, an import, a script in the console) cost a query each.
 */
export const LOCAL_REFRESH_MS = 16;

/** Which list is shown. */
export const View = { notes: 'notes', trash: 'trash' } as const;
export type View = (typeof View)[keyof typeof View];

export interface NotesList {
  notes: Accessor<Note[]>;
  /** True until the first query answered (the list shows a loading state, never a blank). */
  loading: Accessor<boolean>;
  /** More rows exist beyond what is shown. */
  hasMore: Accessor<boolean>;
  /** Notes that arrived above the rows shown and are not shown yet. */
  newAbove: Accessor<number>;
  /** Shows the newest notes (those counted in `newAbove` too). */
  showNew(): void;
  search: Accessor<string>;
  view: Accessor<View>;
  /** The notebook whose notes are shown; null: every note. */
  notebook: Accessor<string | null>;
  setSearch(s: string): void;
  setView(v: View): void;
  setNotebook(id: string | null): void;
  loadMore(): void;
  /** Re-runs the query: at most one runs at a time; refreshes asked meanwhile run once after it. */
  refresh(): void;
  /** Stops listening to the engine. */
  dispose(): void;
}

/** Same fields, same values (rows are flat). */
function sameRow(a: Note, b: Note): boolean {
  const keys = Object.keys(a) as (keyof Note)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * `next`, with each row equal to one in `prev` replaced by that object: the list's `<For>` keeps
 * the elements of rows that did not change (every refresh reads new objects; without this, each
 * write and each pulled page rebuilt every row shown).
 */
function keepUnchanged(prev: readonly Note[], next: Note[]): Note[] {
  const before = new Map(prev.map((n) => [n.id, n]));
  return next.map((n) => {
    const old = before.get(n.id);
    return old && sameRow(old, n) ? old : n;
  });
}

/** A live, paginated, searchable list over `ferry.tables.notes.list`. */
export function createNotesList(
  ferry: {
    tables: { notes: Pick<NotesFerry['tables']['notes'], 'list' | 'count'> };
    subscribe: NotesFerry['subscribe'];
  },
  onError: (e: unknown) => void,
): NotesList {
  const [notes, setNotes] = createSignal<Note[]>([]);
  const [loading, setLoading] = createSignal(true);
  const [hasMore, setHasMore] = createSignal(false);
  const [newAbove, setNewAbove] = createSignal(0);
  const anchor = new ListAnchor();
  const [search, setSearchSignal] = createSignal('');
  const [view, setViewSignal] = createSignal<View>(View.notes);
  const [notebook, setNotebookSignal] = createSignal<string | null>(null);
  let limit = PAGE_SIZE;
  // One query at a time; a refresh asked for meanwhile runs once it answers. (Dropping answers
  // superseded by a newer refresh starved the list while a sync changed notes faster than a
  // search over a large table answered: the list kept its old rows for seconds.)
  let running = false;
  let again = false;
  // Bumped when what the list shows changes (search, view, anchor): an answer for older filters
  // is not shown, and is not waited for either (`pump`).
  let filters = 0;
  let filtersChanged = (): void => undefined;
  const newFilters = (): void => {
    filters++;
    filtersChanged();
  };

  const run = async (): Promise<void> => {
    const mine = filters;
    const s = search().trim();
    // One row more than shown tells whether a next page exists without a count query.
    const book = notebook();
    const query = anchor.query({
      ...(s ? { search: s } : {}),
      ...(book !== null ? { where: { notebook_id: book } } : {}),
      deleted: view() === View.trash ? 'only' : false,
      limit: limit + 1,
    });
    const [rows, above] = await Promise.all([
      ferry.tables.notes.list(query.list),
      query.above ? ferry.tables.notes.count(query.above) : Promise.resolve(0),
    ]);
    if (mine !== filters) return; // the filters changed meanwhile: a refresh is queued
    if (anchor.settle(rows, above)) return run();
    setHasMore(rows.length > limit);
    setNotes(keepUnchanged(notes(), rows.slice(0, limit)));
    setNewAbove(above);
    setLoading(false);
  };
  const pump = async (): Promise<void> => {
    running = true;
    try {
      while (again) {
        again = false;
        // A query for filters the user has since replaced is left to finish on its own (its
        // answer is dropped): the new search must not queue behind a scan it made useless.
        const replaced = new Promise<void>((r) => (filtersChanged = r));
        lastRun = Date.now();
        const answered = run();
        answered.catch(() => undefined); // a replaced query's failure no longer matters
        await Promise.race([answered, replaced]);
      }
    } finally {
      running = false;
    }
  };
  const refresh = (): void => {
    again = true;
    if (running) return;
    running = true;
    queueMicrotask(() => void pump().catch(onError));
  };
  // A sync's changes wait until REMOTE_REFRESH_MS after the last query started.
  let lastRun = -Infinity;
  let later: ReturnType<typeof setTimeout> | undefined;
  const refreshForSync = (): void => {
    if (later !== undefined) return;
    const wait = lastRun + REMOTE_REFRESH_MS - Date.now();
    if (wait <= 0) return refresh();
    later = setTimeout(() => {
      later = undefined;
      refresh();
    }, wait);
  };
  // The user's writes: one query a frame.
  let soon: ReturnType<typeof setTimeout> | undefined;
  const refreshForWrite = (): void => {
    if (soon !== undefined) return;
    soon = setTimeout(() => {
      soon = undefined;
      // The user's own write goes to the top: show it (and whatever waited above).
      anchor.release();
      newFilters();
      refresh();
    }, LOCAL_REFRESH_MS);
  };
  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'changed' || e.table !== 'notes') return;
    if (e.origin === 'local') refreshForWrite();
    else refreshForSync();
  });
  /** A new query from the top: new filters, or the user asked for the newest. */
  const restart = (): void => {
    limit = PAGE_SIZE;
    anchor.release();
    newFilters();
    refresh();
  };
  refresh();

  return {
    notes,
    loading,
    hasMore,
    newAbove,
    search,
    view,
    notebook,
    showNew: restart,
    setSearch(s) {
      setSearchSignal(s);
      restart();
    },
    setView(v) {
      setViewSignal(v);
      restart();
    },
    setNotebook(id) {
      setNotebookSignal(id);
      restart();
    },
    loadMore() {
      limit += PAGE_SIZE;
      refresh();
    },
    refresh,
    dispose() {
      unsubscribe();
      clearTimeout(later);
      clearTimeout(soon);
    },
  };
}
