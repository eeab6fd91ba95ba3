import { Match, Show, Switch, createEffect, createSignal, onCleanup, type JSX } from 'solid-js';
import type { AppShell } from '../shell.ts';
import { createEditor } from '../state/editor.ts';
import { createHistory, type CurrentNote } from '../state/history.ts';
import { createNotebooks } from '../state/notebooks.ts';
import { createNotesList, View } from '../state/notes.ts';
import { createSession } from '../state/session.ts';
import { createTextConflicts } from '../state/text-conflicts.ts';
import { AccountPanel, type AccountActions } from './AccountPanel.tsx';
import { ConflictView } from './ConflictView.tsx';
import { EditorPane } from './EditorPane.tsx';
import { HistoryView } from './HistoryView.tsx';
import { NoteList } from './NoteList.tsx';
import { NotebookList, type NotebookActions } from './NotebookList.tsx';
import { Problems } from './Problems.tsx';
import { installShortcuts } from './shortcuts.ts';
import { SyncIndicator } from './SyncIndicator.tsx';

/** What the main pane shows for the open note. */
const Pane = { editor: 'editor', conflicts: 'conflicts', history: 'history' } as const;
type Pane = (typeof Pane)[keyof typeof Pane];

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The notes app once the engine is open. */
export function App(props: { shell: AppShell }): JSX.Element {
  const { ferry, sync } = props.shell;
  const [toast, setToast] = createSignal<string | null>(null);
  const report = (e: unknown): void => {
    setToast(message(e));
  };
  const list = createNotesList(ferry, report);
  const books = createNotebooks(ferry, report);
  const editor = createEditor(ferry, report);
  const session = createSession(ferry, report);
  const textConflicts = createTextConflicts(ferry, report);
  const [selected, setSelected] = createSignal<string | null>(null);
  const [pane, setPane] = createSignal<Pane>(Pane.editor);
  const openConflicts = () => textConflicts.of(editor.note()?.id ?? null);
  // The last conflict of the note resolved (here or on another device): back to the note.
  createEffect(() => {
    if (pane() === Pane.conflicts && openConflicts().length === 0) setPane(Pane.editor);
  });
  const currentNote = (): CurrentNote => ({
    ...editor.draft(),
    version: editor.note()?.version ?? 0,
    synced: editor.note()?.synced ?? 0,
  });
  const [accountOpen, setAccountOpen] = createSignal(false);
  let searchEl: HTMLInputElement | undefined;
  let titleEl: HTMLInputElement | undefined;

  const select = async (id: string | null): Promise<void> => {
    setSelected(id);
    setPane(Pane.editor);
    await editor.open(id);
  };
  /** A change made outside the editor (resolve, restore): typed text is saved first. */
  const besideEditor = async (change: () => Promise<void>): Promise<void> => {
    await editor.flush();
    await change();
    await editor.reload();
  };
  const newNote = async (): Promise<void> => {
    if (list.view() !== View.notes) list.setView(View.notes);
    // A new note goes into the notebook shown.
    const n = await ferry.tables.notes.create({
      title: '',
      content: '',
      notebook_id: list.notebook(),
    });
    await select(n.id);
    titleEl?.focus();
  };
  const syncNow = (): void => sync.restart();
  const remove = async (id: string): Promise<void> => {
    await editor.flush();
    await ferry.tables.notes.remove(id);
    await select(null);
  };
  const restore = async (id: string): Promise<void> => {
    await ferry.tables.notes.restore(id);
    list.setView(View.notes);
    await select(id);
  };
  const move = (id: string, notebookId: string | null): Promise<void> =>
    besideEditor(async () => {
      await ferry.tables.notes.update(id, { notebook_id: notebookId });
    });
  const notebookActions: NotebookActions = {
    select: (id) => list.setNotebook(id),
    async create(name) {
      list.setNotebook((await books.create(name)).id);
    },
    rename: (id, name) => books.rename(id, name),
    async remove(id) {
      await books.remove(id);
      list.setNotebook(null);
    },
  };
  const actions: AccountActions = {
    async signUp(server, email, password) {
      await ferry.signup(server, email, password, props.shell.deviceName);
      sync.restart();
    },
    async signIn(server, email, password) {
      await ferry.login(server, email, password, props.shell.deviceName);
      sync.restart();
    },
    async signOut() {
      await editor.flush();
      await ferry.logout();
      sync.scheduler.stop();
    },
    async eraseLocal() {
      await editor.flush();
      await ferry.close();
      await props.shell.eraseLocalData();
      window.location.reload();
    },
  };

  const removeShortcuts = installShortcuts(window, {
    newNote: () => void newNote().catch(report),
    search: () => searchEl?.focus(),
    syncNow,
  });
  const flushOnHide = (): void => void editor.flush();
  window.addEventListener('beforeunload', flushOnHide);
  document.addEventListener('visibilitychange', flushOnHide);
  onCleanup(() => {
    removeShortcuts();
    window.removeEventListener('beforeunload', flushOnHide);
    document.removeEventListener('visibilitychange', flushOnHide);
    list.dispose();
    books.dispose();
    textConflicts.dispose();
    editor.dispose();
    session.dispose();
    sync.scheduler.stop();
  });

  return (
    <div class={`app${selected() ? ' has-selection' : ''}`} data-testid="app">
      <header class="top">
        <h1 class="brand">Ferry</h1>
        <SyncIndicator status={session.status()} onSyncNow={syncNow} />
        <span class="spacer" />
        <button
          class="ghost account-open"
          data-testid="account-open"
          onClick={() => setAccountOpen(!accountOpen())}
        >
          {session.identity()?.email && session.status().state !== 'signed-out'
            ? session.identity()?.email
            : 'Sign in'}
        </button>
      </header>
      <Problems
        textConflicts={[...textConflicts.byNote().keys()].map((id) => ({
          id,
          title: list.notes().find((n) => n.id === id)?.title ?? null,
        }))}
        conflicts={session.conflicts()}
        rejected={session.rejected()}
        onResolve={(id, choice) =>
          void ferry
            .resolveConflict(id, choice)
            .then(() => session.refreshProblems())
            .catch(report)
        }
        onDismiss={(id) =>
          void ferry
            .dismissRejected(id)
            .then(() => session.refreshProblems())
            .catch(report)
        }
        onOpen={(id) => void select(id).catch(report)}
      />
      <div class="body">
        <nav class="sidebar">
          <div class="tools">
            <input
              ref={(el) => (searchEl = el)}
              type="search"
              data-testid="search"
              placeholder="Search (Ctrl+K)"
              value={list.search()}
              onInput={(e) => list.setSearch(e.currentTarget.value)}
            />
            <button
              data-testid="new-note"
              onClick={() => void newNote().catch(report)}
              title="New note (Ctrl+N)"
            >
              New
            </button>
          </div>
          <NotebookList
            notebooks={books.notebooks()}
            selected={list.notebook()}
            actions={notebookActions}
            onError={report}
          />
          <div class="tabs" role="tablist">
            <button
              role="tab"
              data-testid="view-notes"
              aria-selected={list.view() === View.notes}
              onClick={() => list.setView(View.notes)}
            >
              Notes
            </button>
            <button
              role="tab"
              data-testid="view-trash"
              aria-selected={list.view() === View.trash}
              onClick={() => list.setView(View.trash)}
            >
              Trash
            </button>
          </div>
          <NoteList
            list={list}
            selected={selected()}
            conflicts={(id) => textConflicts.of(id).length}
            onSelect={(id) => void select(id).catch(report)}
          />
        </nav>
        <main class="main">
          <Switch
            fallback={
              <EditorPane
                editor={editor}
                titleRef={(el) => (titleEl = el)}
                conflicts={openConflicts().length}
                onShowConflicts={() => setPane(Pane.conflicts)}
                onShowHistory={() => void editor.flush().then(() => setPane(Pane.history))}
                onDelete={(id) => void remove(id).catch(report)}
                onRestore={(id) => void restore(id).catch(report)}
                onBack={() => void select(null).catch(report)}
                notebooks={books.notebooks()}
                onMove={(id, notebookId) => void move(id, notebookId).catch(report)}
              />
            }
          >
            <Match when={pane() === Pane.conflicts && openConflicts().length > 0}>
              <ConflictView
                title={editor.draft().title}
                conflicts={openConflicts()}
                me={ferry.clientId}
                current={() => editor.draft().content}
                onResolve={(id, how) =>
                  besideEditor(() => textConflicts.resolve(id, how)).catch(report)
                }
                onClose={() => setPane(Pane.editor)}
              />
            </Match>
            <Match when={pane() === Pane.history && editor.note()}>
              {(n) => {
                const history = createHistory(ferry, n().id, currentNote);
                return (
                  <HistoryView
                    title={editor.draft().title}
                    history={history}
                    onRestore={() =>
                      besideEditor(() => history.restore())
                        .then(() => void setPane(Pane.editor))
                        .catch(report)
                    }
                    onClose={() => setPane(Pane.editor)}
                  />
                );
              }}
            </Match>
          </Switch>
        </main>
        <Show when={accountOpen()}>
          <AccountPanel
            status={session.status()}
            identity={session.identity()}
            tokenStore={props.shell.tokenStore}
            defaultServer={props.shell.defaultServer}
            actions={actions}
            onClose={() => setAccountOpen(false)}
          />
        </Show>
      </div>
      <Show when={toast()}>
        <div class="toast" data-testid="toast" role="alert" onClick={() => setToast(null)}>
          {toast()}
        </div>
      </Show>
    </div>
  );
}
