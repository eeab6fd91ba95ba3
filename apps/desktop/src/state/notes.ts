/**
 * Live queries for the notes list: re-run on every engine change event (coalesced), on search
 * and on view switches; paginated so a large account shows its first page at once.
 */
import type { Ferry, Note } from '@ferry/client';
import { createSignal, type Accessor } from 'solid-js';

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
  ferry: Pick<Ferry, 'notes' | 'subscribe'>,
  onError: (e: unknown) => void,
): NotesList {
  const [notes, setNotes] = createSignal<Note[]>([]);
  const [loading, setLoading] = createSignal(true);
  const [hasMore, setHasMore] = createSignal(false);
  const [search, setSearchSignal] = createSignal('');
  const [view, setViewSignal] = createSignal<View>(View.notes);
  let limit = PAGE_SIZE;
  let queued = false;
  let generation = 0;

  const run = async (): Promise<void> => {
    const mine = ++generation;
    const s = search().trim();
    // One row more than shown tells whether a next page exists without a count query.
    const rows = await ferry.notes.list({
      ...(s ? { search: s } : {}),
      deleted: view() === View.trash ? 'only' : false,
      limit: limit + 1,
    });
    if (mine !== generation) return; // a newer query (e.g. the next keystroke) superseded this one
    setHasMore(rows.length > limit);
    setNotes(rows.slice(0, limit));
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
    if (e.type === 'changed' && e.table === 'notes') refresh();
  });
  refresh();

  return {
    notes,
    loading,
    hasMore,
    search,
    view,
    setSearch(s) {
      setSearchSignal(s);
      limit = PAGE_SIZE;
      refresh();
    },
    setView(v) {
      setViewSignal(v);
      limit = PAGE_SIZE;
      refresh();
    },
    loadMore() {
      limit += PAGE_SIZE;
      refresh();
    },
    refresh,
    dispose: unsubscribe,
  };
}
