/**
 * The open note: a draft the user types into, saved locally by `Autosave`. A remote change to
 * the open note replaces the draft only when nothing typed is waiting; otherwise the local edit
 * is saved and wins by its newer HLC, as any other local write would.
 */
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

/** The editor's state over the engine's notes table. */
export function createEditor(
  ferry: Pick<NotesFerry, 'tables' | 'subscribe'>,
  onError: (e: unknown) => void,
): Editor {
  const [note, setNote] = createSignal<Note | null>(null);
  const [draft, setDraft] = createSignal<Draft>({ title: '', content: '' });
  const [saveState, setSaveState] = createSignal<SaveState>(SaveState.saved);
  let openId: string | null = null;

  const saver = new Autosave<{ id: string; draft: Draft }>(
    async ({ id, draft }) => {
      const saved = await ferry.tables.notes.update(id, draft);
      if (openId === id) setNote(saved);
    },
    (s, error) => {
      setSaveState(s);
      if (error !== undefined) onError(error);
    },
  );

  const load = async (id: string): Promise<void> => {
    const n = await ferry.tables.notes.get(id);
    if (openId !== id) return;
    setNote(n);
    if (n) setDraft({ title: n.title, content: n.content });
  };

  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'changed' || e.origin !== 'remote' || openId === null || !e.ids.includes(openId))
      return;
    if (!saver.dirty()) load(openId).catch(onError);
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
