/** The app's keyboard shortcuts (Ctrl on Linux/Windows, Cmd on macOS). */
export interface ShortcutActions {
  newNote: () => void;
  search: () => void;
  syncNow: () => void;
}

/** Installs the key handler; returns its removal. */
export function installShortcuts(target: Window, actions: ShortcutActions): () => void {
  const onKey = (e: KeyboardEvent): void => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const key = e.key.toLowerCase();
    const action =
      key === 'n'
        ? actions.newNote
        : key === 'f' || key === 'k'
          ? actions.search
          : key === 's'
            ? actions.syncNow
            : null;
    if (!action) return;
    e.preventDefault();
    action();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
