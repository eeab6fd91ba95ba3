/**
 * The open note: a draft the user types into, saved locally by `Autosave`. A remote change to
 * the open note replaces the draft only when nothing typed is waiting or being saved. Otherwise
 * the draft is saved with the base of the text it was typed on (read with the note, then the
 * editor's own previous save), so the server merges the remote change into it instead of the
 * save undoing it; the merged text replaces the draft once it is pulled and nothing is waiting.
 */
import type { TextBase } from '@ferry/client';
import type { Note } from '@ferry/protocol';
import type { NotesFerry } from '../notes-engine.ts';
import { createSignal, type Accessor } from 'solid-js';
import { Autosave, SaveState } from './autosave.ts';

export interface Draft {
  title: string;
  content: string;
}

export interface Editor {
  note: Accessor<Note | null>;
  draft: Accessor<Draft>;
  saveState: Accessor<SaveState>;
  open(id: string | null): Promise<void>;
  edit(patch: Partial<Draft>): void;
  /** Writes any pending draft now. */
  flush(): Promise<void>;
  /** Writes any pending draft, then reads the open note again (after a change made elsewhere). */
  reload(): Promise<void>;
  dispose(): void;
}

/** Editor options (tests). */
export interface EditorOptions {
  /** The autosave's debounce; default 300 ms. */
  saveDelayMs?: number;
}

/** The editor's state over the engine's notes table. */
export function createEditor(
  ferry: Pick<NotesFerry, 'tables' | 'subscribe'>,
  onError: (e: unknown) => void,
  options: EditorOptions = {},
): Editor {
  const [note, setNote] = createSignal<Note | null>(null);
  const [draft, setDraft] = createSignal<Draft>({ title: '', content: '' });
  const [saveState, setSaveState] = createSignal<SaveState>(SaveState.saved);
  let openId: string | null = null;
  /** The base of the text the open note's draft was typed on. */
  let base: { id: string; base: TextBase } | null = null;

  const saver = new Autosave<{ id: string; draft: Draft }>(
    async ({ id, draft }) => {
      const from = base?.id === id ? base.base : undefined;
      const saved = await ferry.tables.notes.updateForEdit(id, draft, from);
      if (openId !== id) return;
      base = { id, base: saved.base };
      setNote(saved.row);
    },
    (s, error) => {
      setSaveState(s);
      if (error !== undefined) onError(error);
    },
    options.saveDelayMs,
  );

  /** Counts the user's edits: a read that began before the latest one is older than the draft. */
  let edits = 0;

  /**
   * Reads the note and its base; a reload for a remote change gives way to typing, both typing
   * still to be saved and typing done (and saved) while the read was on its way: that answer
   * predates the save, and the merged text comes with a later pull.
   */
  const load = async (id: string, remote = false): Promise<void> => {
    const editsBefore = edits;
    const read = await ferry.tables.notes.getForEdit(id);
    if (openId !== id || (remote && (saver.dirty() || edits !== editsBefore))) return;
    setNote(read?.row ?? null);
    base = read ? { id, base: read.base } : null;
    if (read) setDraft({ title: read.row.title, content: read.row.content });
  };

  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'changed' || e.origin !== 'remote' || openId === null || !e.ids.includes(openId))
      return;
    if (!saver.dirty()) load(openId, true).catch(onError);
  });

  return {
    note,
    draft,
    saveState,
    async open(id) {
      await saver.flush();
      openId = id;
      setSaveState(SaveState.saved);
      if (id === null) {
        setNote(null);
        setDraft({ title: '', content: '' });
        return;
      }
      await load(id);
    },
    edit(patch) {
      if (openId === null) return;
      const next = { ...draft(), ...patch };
      edits++;
      setDraft(next);
      saver.change({ id: openId, draft: next });
    },
    flush: () => saver.flush(),
    async reload() {
      await saver.flush();
      if (openId !== null) await load(openId);
    },
    dispose: unsubscribe,
  };
}
