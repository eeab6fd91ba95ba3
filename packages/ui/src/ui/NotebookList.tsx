import type { Notebook } from '@ferry/protocol';
import { For, Show, createSignal } from 'solid-js';

/** What the sidebar's notebook list is asked to do. */
export interface NotebookActions {
  select(id: string | null): void;
  create(name: string): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
}

/**
 * An inline name field: Enter saves, Escape (or leaving it empty) cancels. Focused on show, so
 * "New notebook" and "Rename" stay on the keyboard.
 */
function NameField(props: {
  initial: string;
  label: string;
  onSave: (name: string) => void;
  onCancel: () => void;
}) {
  return (
    <input
      class="notebook-name"
      data-testid="notebook-name"
      aria-label={props.label}
      maxLength={200}
      value={props.initial}
      ref={(el) => queueMicrotask(() => el.select())}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onCancel();
        if (e.key !== 'Enter') return;
        const name = e.currentTarget.value.trim();
        if (name === '') props.onCancel();
        else props.onSave(name);
      }}
      onBlur={() => props.onCancel()}
    />
  );
}

/** The sidebar's notebooks: "All notes", each notebook (a filter of the list), and their upkeep. */
export function NotebookList(props: {
  notebooks: Notebook[];
  selected: string | null;
  actions: NotebookActions;
  onError: (e: unknown) => void;
}) {
  // 'new', a notebook id being renamed, or null.
  const [editing, setEditing] = createSignal<string | null>(null);
  const done = (p: Promise<void>): void => {
    setEditing(null);
    p.catch(props.onError);
  };
  const current = () => props.notebooks.find((b) => b.id === props.selected) ?? null;
  return (
    <section class="notebooks" data-testid="notebooks" aria-label="Notebooks">
      <ul>
        <li>
          <button
            class={`notebook${props.selected === null ? ' selected' : ''}`}
            data-testid="notebook-all"
            aria-pressed={props.selected === null}
            onClick={() => props.actions.select(null)}
          >
            All notes
          </button>
        </li>
        <For each={props.notebooks}>
          {(b) => (
            <li>
              <Show
                when={editing() === b.id}
                fallback={
                  <button
                    class={`notebook${props.selected === b.id ? ' selected' : ''}`}
                    data-testid="notebook-item"
                    data-id={b.id}
                    aria-pressed={props.selected === b.id}
                    onClick={() => props.actions.select(b.id)}
                  >
                    {b.name}
                  </button>
                }
              >
                <NameField
                  initial={b.name}
                  label="Notebook name"
                  onSave={(name) => done(props.actions.rename(b.id, name))}
                  onCancel={() => setEditing(null)}
                />
              </Show>
            </li>
          )}
        </For>
        <Show when={editing() === 'new'}>
          <li>
            <NameField
              initial=""
              label="New notebook's name"
              onSave={(name) => done(props.actions.create(name))}
              onCancel={() => setEditing(null)}
            />
          </li>
        </Show>
      </ul>
      <div class="notebook-tools">
        <button class="ghost small" data-testid="notebook-new" onClick={() => setEditing('new')}>
          New notebook
        </button>
        <Show when={current()}>
          {(b) => (
            <>
              <button
                class="ghost small"
                data-testid="notebook-rename"
                onClick={() => setEditing(b().id)}
              >
                Rename
              </button>
              <button
                class="ghost danger small"
                data-testid="notebook-delete"
                title="Delete the notebook; its notes stay under All notes"
                onClick={() => done(props.actions.remove(b().id))}
              >
                Delete
              </button>
            </>
          )}
        </Show>
      </div>
    </section>
  );
}
