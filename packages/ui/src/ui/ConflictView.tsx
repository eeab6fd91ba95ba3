import type { TextConflict, TextResolution } from '@ferry/client';
import { For, Show, createSignal } from 'solid-js';
import { conflictView, editStart } from '../state/text-conflicts.ts';
import { revisionTime } from '../state/history.ts';
import { DiffText } from './DiffText.tsx';

/** One open conflict: the overlaps side by side and the four ways out. */
function ConflictCard(props: {
  conflict: TextConflict;
  me: string;
  current: () => string;
  onResolve: (id: string, how: TextResolution) => Promise<void>;
}) {
  const view = () => conflictView(props.conflict, props.me);
  const [busy, setBusy] = createSignal(false);
  const [editing, setEditing] = createSignal<string | null>(null);
  const resolve = async (how: TextResolution): Promise<void> => {
    setBusy(true);
    try {
      await props.onResolve(props.conflict.id, how);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article class="conflict-card" data-testid="text-conflict" data-id={props.conflict.id}>
      <p>
        Edited on two devices at once ({revisionTime(view().createdAt, new Date())}). The note keeps
        the version from <strong data-testid="conflict-kept-by">{view().keptBy}</strong>; the one
        from <strong data-testid="conflict-other-by">{view().otherBy}</strong> is set aside until
        you choose.
      </p>
      <For each={view().hunks}>
        {(h, i) => (
          <div class="hunk" data-testid="conflict-hunk">
            <Show when={view().hunks.length > 1}>
              <p class="muted small">
                Overlap {i() + 1} of {view().hunks.length}
              </p>
            </Show>
            <div class="sides">
              <div class="side kept">
                <h3>In the note · from {view().keptBy}</h3>
                <DiffText segments={h.kept} testid="conflict-kept" />
              </div>
              <div class="side other">
                <h3>Set aside · from {view().otherBy}</h3>
                <DiffText segments={h.other} testid="conflict-other" />
              </div>
            </div>
            <Show when={h.base}>
              <details class="small">
                <summary>Before either edit</summary>
                <pre class="diff">{h.base}</pre>
              </details>
            </Show>
          </div>
        )}
      </For>
      <Show
        when={editing() !== null}
        fallback={
          <div class="row">
            <button
              data-testid="conflict-keep-this"
              disabled={busy()}
              onClick={() => void resolve({ keep: 'this' })}
              title="Keep the note as it is; drop the version set aside"
            >
              Keep this
            </button>
            <button
              data-testid="conflict-keep-other"
              disabled={busy()}
              onClick={() => void resolve({ keep: 'other' })}
              title="Put the version set aside in place of the note's"
            >
              Keep the other
            </button>
            <button
              data-testid="conflict-keep-both"
              disabled={busy()}
              onClick={() => void resolve({ keep: 'both' })}
              title="Keep the note's version followed by the other one"
            >
              Keep both
            </button>
            <button
              class="ghost"
              data-testid="conflict-edit"
              disabled={busy()}
              onClick={() => setEditing(editStart(props.conflict, props.current()))}
            >
              Edit…
            </button>
          </div>
        }
      >
        <p class="small muted">
          The note with both versions: change it to what it should say, then save.
        </p>
        <textarea
          class="conflict-edit"
          data-testid="conflict-edit-text"
          value={editing() ?? ''}
          onInput={(e) => setEditing(e.currentTarget.value)}
        />
        <div class="row">
          <button
            data-testid="conflict-edit-save"
            disabled={busy()}
            onClick={() => void resolve({ content: editing() ?? '' })}
          >
            Save as resolved
          </button>
          <button class="ghost" disabled={busy()} onClick={() => setEditing(null)}>
            Cancel
          </button>
        </div>
      </Show>
    </article>
  );
}

/** The open conflicts of one note, each resolvable on its own; every resolution syncs. */
export function ConflictView(props: {
  title: string;
  conflicts: readonly TextConflict[];
  me: string;
  current: () => string;
  onResolve: (id: string, how: TextResolution) => Promise<void>;
  onClose: () => void;
}) {
  return (
    <section class="sheet" data-testid="conflict-view">
      <div class="editor-bar">
        <button class="ghost" data-testid="conflict-close" onClick={() => props.onClose()}>
          ← Back to the note
        </button>
        <span class="spacer" />
        <span class="conflict-marker" aria-hidden="true">
          !
        </span>
        <span class="muted small">
          {props.conflicts.length === 1 ? '1 conflict' : `${props.conflicts.length} conflicts`}
        </span>
      </div>
      <h2>Conflicting edits in “{props.title || 'Untitled'}”</h2>
      <For each={props.conflicts}>
        {(c) => (
          <ConflictCard
            conflict={c}
            me={props.me}
            current={props.current}
            onResolve={props.onResolve}
          />
        )}
      </For>
    </section>
  );
}
