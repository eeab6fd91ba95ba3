import type { Conflict, RejectedChange } from '@ferry/client';
import { For, Show } from 'solid-js';

function fieldsText(f: Record<string, unknown> | null): string {
  if (!f) return '(deleted on the server)';
  const parts: string[] = [];
  if (typeof f.title === 'string') parts.push(`“${f.title || 'Untitled'}”`);
  if (typeof f.content === 'string') parts.push(f.content.slice(0, 80));
  if ('deleted_at' in f) parts.push(f.deleted_at ? 'deleted' : 'restored');
  return parts.join(' — ');
}

/** Notes with text conflicts, conflicts (version policy) and changes the server refused, each with its way out. */
export function Problems(props: {
  /** Notes with open text conflicts (overlapping edits); the title when the list has it. */
  textConflicts: { id: string; title: string | null }[];
  conflicts: Conflict[];
  rejected: RejectedChange[];
  onResolve: (id: string, choice: 'mine' | 'theirs') => void;
  onDismiss: (id: string) => void;
  onOpen: (recordId: string) => void;
}) {
  return (
    <Show when={props.textConflicts.length + props.conflicts.length + props.rejected.length > 0}>
      <section class="problems" data-testid="problems">
        <For each={props.textConflicts}>
          {(n) => (
            <div class="problem" data-testid="text-conflict-problem" data-id={n.id}>
              <p>
                <strong>Conflicting edits</strong> in{' '}
                <a onClick={() => props.onOpen(n.id)}>
                  {n.title === null ? 'a note' : `“${n.title || 'Untitled'}”`}
                </a>
                : it was edited on two devices at once. Open it to choose what it says.
              </p>
            </div>
          )}
        </For>
        <For each={props.conflicts}>
          {(c) => (
            <div class="problem" data-testid="conflict" data-id={c.id}>
              <p>
                <strong>Conflict</strong> on <a onClick={() => props.onOpen(c.recordId)}>a note</a>:
                it changed on another device.
              </p>
              <p class="small">Mine: {fieldsText(c.mine)}</p>
              <p class="small">Theirs: {fieldsText(c.theirs)}</p>
              <div class="row">
                <button data-testid="conflict-mine" onClick={() => props.onResolve(c.id, 'mine')}>
                  Keep mine
                </button>
                <button
                  class="ghost"
                  data-testid="conflict-theirs"
                  onClick={() => props.onResolve(c.id, 'theirs')}
                >
                  Take theirs
                </button>
              </div>
            </div>
          )}
        </For>
        <For each={props.rejected}>
          {(r) => (
            <div class="problem" data-testid="rejected" data-id={r.id}>
              <p>
                <strong>Not accepted by the server</strong> ({r.code}): {r.message}
              </p>
              <p class="small">
                Change to <a onClick={() => props.onOpen(r.recordId)}>a note</a>:{' '}
                {fieldsText(r.fields)}
              </p>
              <div class="row">
                <button
                  class="ghost"
                  data-testid="rejected-dismiss"
                  onClick={() => props.onDismiss(r.id)}
                >
                  Dismiss
                </button>
              </div>
            </div>
          )}
        </For>
      </section>
    </Show>
  );
}
