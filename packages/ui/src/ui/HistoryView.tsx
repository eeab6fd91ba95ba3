import { For, Show, createSignal, onMount } from 'solid-js';
import type { History } from '../state/history.ts';
import { DiffText } from './DiffText.tsx';

/** A note's revisions (from the server), the chosen one as a diff, and "restore this version". */
export function HistoryView(props: {
  title: string;
  history: History;
  onRestore: () => Promise<void>;
  onClose: () => void;
}) {
  const h = props.history;
  const [busy, setBusy] = createSignal(false);
  const [picked, setPicked] = createSignal<number | null>(null);
  onMount(() => void h.load());
  const choose = (version: number): void => {
    setPicked(version);
    void h.choose(version);
  };
  const restore = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onRestore();
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="sheet" data-testid="history-view">
      <div class="editor-bar">
        <button class="ghost" data-testid="history-close" onClick={() => props.onClose()}>
          ← Back to the note
        </button>
        <span class="spacer" />
        <button class="ghost" data-testid="history-refresh" onClick={() => void h.load()}>
          Refresh
        </button>
      </div>
      <h2>History of “{props.title || 'Untitled'}”</h2>
      <Show when={h.problem()}>
        <p class="error" data-testid="history-problem">
          {h.problem()}
        </p>
      </Show>
      <div class="history">
        <div class="revisions" data-testid="history-list" data-loading={String(h.loading())}>
          <Show
            when={!h.loading() || h.entries().length > 0}
            fallback={<p class="muted">Loading…</p>}
          >
            <ul>
              <For each={h.entries()}>
                {(e) => (
                  <li>
                    <button
                      class={`item${picked() === e.version ? ' selected' : ''}`}
                      data-testid="history-item"
                      data-version={e.version}
                      onClick={() => choose(e.version)}
                    >
                      <span class="item-title">
                        {e.when}
                        <Show when={e.current}>
                          <span class="tag">current</span>
                        </Show>
                        <Show when={e.merged}>
                          <span class="tag" title="Merged with edits from other devices">
                            merged
                          </span>
                        </Show>
                      </span>
                      <span class="item-meta">
                        <span>{e.by}</span>
                        <span>version {e.version}</span>
                      </span>
                    </button>
                  </li>
                )}
              </For>
            </ul>
            <Show when={h.hasMore()}>
              <button class="ghost more" onClick={() => void h.loadMore()}>
                Older versions
              </button>
            </Show>
          </Show>
        </div>
        <div class="revision" data-testid="history-revision">
          <Show
            when={h.chosen()}
            fallback={
              <p class="muted">Choose a version to see how it differs from the note now.</p>
            }
          >
            {(d) => (
              <>
                <div class="editor-bar">
                  <span class="small muted">
                    Version {d().version} against the note now: <del>struck through</del> goes,{' '}
                    <ins>highlighted</ins> comes back.
                  </span>
                  <span class="spacer" />
                  <button
                    data-testid="history-restore"
                    data-version={d().version}
                    disabled={busy() || d().same}
                    onClick={() => void restore()}
                  >
                    {d().same ? 'This is the note now' : 'Restore this version'}
                  </button>
                </div>
                <Show when={d().title !== null}>
                  <p class="small">
                    Title then: <strong>“{d().title}”</strong>
                  </p>
                </Show>
                <DiffText segments={d().content} testid="history-diff" />
              </>
            )}
          </Show>
        </div>
      </div>
    </section>
  );
}
