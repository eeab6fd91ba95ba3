import type { Notebook } from '@ferry/protocol';
import { For, Show } from 'solid-js';
import type { Editor } from '../state/editor.ts';

const saveText = {
  saved: 'Saved on this device',
  pending: 'Editing…',
  saving: 'Saving…',
  error: 'Not saved!',
} as const;

/** Title and content of the open note; typing saves locally (debounced). */
export function EditorPane(props: {
  editor: Editor;
  onDelete: (id: string) => void;
  onRestore: (id: string) => void;
  onBack: () => void;
  /** Open text conflicts of the open note. */
  conflicts: number;
  onShowConflicts: () => void;
  onShowHistory: () => void;
  titleRef: (el: HTMLInputElement) => void;
  /** The notebooks a note can be moved to. */
  notebooks: Notebook[];
  onMove: (id: string, notebookId: string | null) => void;
}) {
  const note = () => props.editor.note();
  const deleted = () => note()?.deleted_at != null;
  return (
    <Show
      when={note()}
      fallback={
        <div class="empty muted" data-testid="editor-empty">
          Select a note, or press Ctrl+N for a new one.
        </div>
      }
    >
      {(n) => (
        <section class="editor" data-testid="editor" data-id={n().id}>
          <div class="editor-bar">
            <button
              class="ghost back"
              data-testid="back"
              onClick={() => props.onBack()}
              aria-label="Back to the list"
            >
              ←
            </button>
            <span
              class="muted small"
              data-testid="save-state"
              data-state={props.editor.saveState()}
            >
              {deleted() ? 'In the trash' : saveText[props.editor.saveState()]}
            </span>
            <span class="spacer" />
            <select
              class="notebook-select"
              data-testid="note-notebook"
              aria-label="Notebook"
              title="Move to a notebook"
              disabled={deleted()}
              value={
                props.notebooks.some((b) => b.id === n().notebook_id) ? (n().notebook_id ?? '') : ''
              }
              onChange={(e) => props.onMove(n().id, e.currentTarget.value || null)}
            >
              <option value="">No notebook</option>
              <For each={props.notebooks}>{(b) => <option value={b.id}>{b.name}</option>}</For>
            </select>
            <button class="ghost" data-testid="open-history" onClick={() => props.onShowHistory()}>
              History
            </button>
            <Show
              when={deleted()}
              fallback={
                <button
                  class="ghost danger"
                  data-testid="delete-note"
                  onClick={() => props.onDelete(n().id)}
                >
                  Move to trash
                </button>
              }
            >
              <button data-testid="restore-note" onClick={() => props.onRestore(n().id)}>
                Restore
              </button>
            </Show>
          </div>
          <Show when={props.conflicts > 0}>
            <div class="conflict-banner" data-testid="editor-conflict-banner" role="status">
              <span class="conflict-marker" aria-hidden="true">
                !
              </span>
              <span>
                {props.conflicts === 1
                  ? 'This note was edited on two devices at once where their edits overlap.'
                  : `This note has ${props.conflicts} overlapping edits from two devices.`}{' '}
                The other version is kept aside until you choose.
              </span>
              <button data-testid="show-conflicts" onClick={() => props.onShowConflicts()}>
                Review
              </button>
            </div>
          </Show>
          <input
            ref={props.titleRef}
            class="title"
            data-testid="editor-title"
            placeholder="Title"
            maxLength={1000}
            readOnly={deleted()}
            value={props.editor.draft().title}
            onInput={(e) => props.editor.edit({ title: e.currentTarget.value })}
          />
          <textarea
            class="content"
            data-testid="editor-content"
            placeholder="Write something…"
            readOnly={deleted()}
            value={props.editor.draft().content}
            onInput={(e) => props.editor.edit({ content: e.currentTarget.value })}
          />
        </section>
      )}
    </Show>
  );
}
