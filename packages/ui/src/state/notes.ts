/**
 * Live queries for the notes list: re-run on every engine change event (coalesced), on search
 * and on view switches; paginated so a large account shows its first page at once. Changes from
 * sync do not move the rows shown: notes that sort above them are announced (see list-anchor.ts).
 */
import type { Ferry, Note } from '@ferry/client';
import { createSignal, type Accessor } from 'solid-js';
import { ListAnchor } from './list-anchor.ts';

export const PAGE_SIZE = 50;

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
  setSearch(s: string): void;
  setView(v: View): void;
  loadMore(): void;
  /** Re-runs the query (coalesced with other refreshes in the same tick). */
  refresh(): void;
  /** Stops listening to the engine. */
  dispose(): void;
}

/** A live, paginated, searchable list over `ferry.notes.list`. */
export function createNotesList(
  ferry: { notes: Pick<Ferry['notes'], 'list' | 'count'>; subscribe: Ferry['subscribe'] },
  onError: (e: unknown) => void,
): NotesList {
  const [notes, setNotes] = createSignal<Note[]>([]);
  const [loading, setLoading] = createSignal(true);
  const [hasMore, setHasMore] = createSignal(false);
  const [newAbove, setNewAbove] = createSignal(0);
  const anchor = new ListAnchor();
  const [search, setSearchSignal] = createSignal('');
  const [view, setViewSignal] = createSignal<View>(View.notes);
  let limit = PAGE_SIZE;
  let queued = false;
  let generation = 0;

  const run = async (): Promise<void> => {
    const mine = ++generation;
    const s = search().trim();
    // One row more than shown tells whether a next page exists without a count query.
    const query = anchor.query({
      ...(s ? { search: s } : {}),
      deleted: view() === View.trash ? 'only' : false,
      limit: limit + 1,
    });
    const [rows, above] = await Promise.all([
      ferry.notes.list(query.list),
      query.above ? ferry.notes.count(query.above) : Promise.resolve(0),
    ]);
    if (mine !== generation) return; // a newer query (e.g. the next keystroke) superseded this one
    if (anchor.settle(rows, above)) return run();
    setHasMore(rows.length > limit);
    setNotes(rows.slice(0, limit));
    setNewAbove(above);
    setLoading(false);
  };
  const refresh = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      run().catch(onError);
    });
  };
  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'changed' || e.table !== 'notes') return;
    // The user's own write goes to the top: show it (and whatever waited above).
    if (e.origin === 'local') anchor.release();
    refresh();
  });
  /** A new query from the top: new filters, or the user asked for the newest. */
  const restart = (): void => {
    limit = PAGE_SIZE;
    anchor.release();
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
    showNew: restart,
    setSearch(s) {
      setSearchSignal(s);
      restart();
    },
    setView(v) {
      setViewSignal(v);
      restart();
    },
    loadMore() {
      limit += PAGE_SIZE;
      refresh();
    },
    refresh,
    dispose: unsubscribe,
  };
}
