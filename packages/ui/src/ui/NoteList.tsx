import type { Note } from '@ferry/protocol';
import { For, Show } from 'solid-js';
import type { NotesList } from '../state/notes.ts';
import { clockTime } from '../state/sync-label.ts';

function snippet(n: Note): string {
  return n.content.slice(0, 120).replace(/\s+/g, ' ');
}

function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? clockTime(iso)
    : d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/** The list of notes (or of the trash), newest first, with its loading and empty states. */
export function NoteList(props: {
  list: NotesList;
  selected: string | null;
  /** Open text conflicts of a note (0: none). */
  conflicts: (id: string) => number;
  onSelect: (id: string) => void;
}) {
  return (
    <div
      class="list"
      data-testid="note-list"
      data-loading={props.list.loading() ? 'true' : 'false'}
    >
      <Show
        when={!props.list.loading()}
        fallback={
          <p class="muted pad" data-testid="list-loading">
            Loading notes…
          </p>
        }
      >
        <Show when={props.list.newAbove() > 0}>
          <button
            class="ghost more"
            data-testid="new-above"
            onClick={(e) => {
              props.list.showNew();
              e.currentTarget.parentElement?.scrollTo({ top: 0 });
            }}
          >
            {props.list.newAbove()} new {props.list.newAbove() === 1 ? 'note' : 'notes'}
          </button>
        </Show>
        <Show
          when={props.list.notes().length > 0}
          fallback={
            <p class="muted pad" data-testid="list-empty">
              {props.list.search()
                ? 'No note matches.'
                : props.list.view() === 'trash'
                  ? 'Trash is empty.'
                  : 'No notes yet. Press Ctrl+N.'}
            </p>
          }
        >
          <ul>
            <For each={props.list.notes()}>
              {(n) => (
                <li>
                  <button
                    class={`item${props.selected === n.id ? ' selected' : ''}`}
                    data-testid="note-item"
                    data-id={n.id}
                    data-synced={String(n.synced)}
                    data-conflicts={props.conflicts(n.id)}
                    onClick={() => props.onSelect(n.id)}
                  >
                    <span class="item-head">
                      <span class="item-title" data-testid="note-item-title">
                        {n.title || 'Untitled'}
                      </span>
                      <Show when={props.conflicts(n.id) > 0}>
                        <span
                          class="conflict-marker"
                          data-testid="note-conflict-marker"
                          title="Edited on two devices at once: open the note to choose"
                        >
                          !
                        </span>
                      </Show>
                    </span>
                    <span class="item-meta">
                      <span>{when(n.updated_at)}</span>
                      <span class="item-snippet">{snippet(n)}</span>
                    </span>
                  </button>
                </li>
              )}
            </For>
          </ul>
          <Show when={props.list.hasMore()}>
            <button
              class="ghost more"
              data-testid="load-more"
              onClick={() => props.list.loadMore()}
            >
              Show more
            </button>
          </Show>
        </Show>
      </Show>
    </div>
  );
}
