/**
 * The notebooks (schema 3): a live list, by name, re-read on every change of the table, and the
 * writes the sidebar makes. Deleting a notebook leaves its notes as they are: they are shown
 * under "All notes", and come back into the notebook if it is restored.
 */
import type { Notebook } from '@ferry/protocol';
import { createSignal, type Accessor } from 'solid-js';
import type { NotesFerry } from '../notes-engine.ts';

export interface Notebooks {
  /** Live notebooks, by name. */
  notebooks: Accessor<Notebook[]>;
  create(name: string): Promise<Notebook>;
  rename(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Stops listening to the engine. */
  dispose(): void;
}

const byName = (a: Notebook, b: Notebook): number =>
  a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || (a.id < b.id ? -1 : 1);

/** A live list over `ferry.tables.notebooks`. */
export function createNotebooks(
  ferry: Pick<NotesFerry, 'tables' | 'subscribe'>,
  onError: (e: unknown) => void,
): Notebooks {
  const table = ferry.tables.notebooks;
  const [notebooks, setNotebooks] = createSignal<Notebook[]>([]);
  let generation = 0;
  const refresh = (): void => {
    const mine = ++generation;
    table.list().then((rows) => {
      if (mine === generation) setNotebooks([...rows].sort(byName));
    }, onError);
  };
  const unsubscribe = ferry.subscribe((e) => {
    if (e.type === 'changed' && e.table === 'notebooks') refresh();
  });
  refresh();
  const named = (name: string): string => {
    const trimmed = name.trim();
    if (trimmed === '') throw new Error('A notebook needs a name.');
    return trimmed;
  };
  return {
    notebooks,
    create: (name) => table.create({ name: named(name) }),
    async rename(id, name) {
      await table.update(id, { name: named(name) });
    },
    async remove(id) {
      await table.remove(id);
    },
    dispose: unsubscribe,
  };
}
