/**
 * The history view of one note: the revisions the server keeps (time, device, merged or not),
 * the chosen one's text as a diff against the note's current text, and "restore this version",
 * which the engine makes a new local edit that syncs. Reading the history needs the server.
 */
import { ErrorKind, FerryError, deviceLabel, type Ferry } from '@ferry/client';
import type { Revision, RevisionSummary } from '@ferry/protocol';
import { createSignal, type Accessor } from 'solid-js';
import { collapseSame, diffSegments, type Segment } from './diff.ts';
import { clockTime } from './sync-label.ts';

/** One line of the revisions list. */
export interface HistoryEntry {
  version: number;
  /** "14:03" today, "12 Nov 14:03" this year, "12 Nov 2025 14:03" before. */
  when: string;
  /** "this device", "device 3f9a2c", "the server". */
  by: string;
  /** The revision holds a merge of that device's edit with others. */
  merged: boolean;
  /** The note on this device is this revision (synced, nothing typed since). */
  current: boolean;
}

/** When a revision was made, for the list (local time). */
export function revisionTime(iso: string, now: Date): string {
  const d = new Date(iso);
  if (d.toDateString() === now.toDateString()) return clockTime(iso);
  const day = d.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
  return `${day} ${clockTime(iso)}`;
}

/** The note's state the list compares against. */
export interface CurrentNote {
  title: string;
  content: string;
  version: number;
  synced: number;
}

/** The list's lines, newest first, as the server gives them. */
export function historyEntries(
  revisions: readonly RevisionSummary[],
  me: string,
  current: CurrentNote,
  now: Date,
): HistoryEntry[] {
  return revisions.map((r) => ({
    version: r.version,
    when: revisionTime(r.createdAt, now),
    by: deviceLabel(r.clientId, me, { madeByServer: true, name: r.deviceName }),
    merged: r.merged,
    current: current.synced === 1 && current.version === r.version,
  }));
}

/** What a chosen revision would change, shown before restoring it. */
export interface RevisionDiff {
  version: number;
  /** The current text turned into the revision's: `removed` goes, `added` comes back. */
  content: Segment[];
  /** The revision's title when it differs from the current one. */
  title: string | null;
  /** Restoring would change nothing. */
  same: boolean;
}

/** The diff of a revision against the note's current title and text. */
export function revisionDiff(
  rev: Revision,
  current: Pick<CurrentNote, 'title' | 'content'>,
): RevisionDiff {
  const content = typeof rev.fields.content === 'string' ? rev.fields.content : '';
  const title = typeof rev.fields.title === 'string' ? rev.fields.title : current.title;
  return {
    version: rev.version,
    content: collapseSame(diffSegments(current.content, content)),
    title: title === current.title ? null : title,
    same: content === current.content && title === current.title,
  };
}

/** What the view says when the history cannot be read. */
export function historyProblem(e: unknown): string {
  if (e instanceof FerryError) {
    switch (e.kind) {
      case ErrorKind.network:
      case ErrorKind.server:
      case ErrorKind.rateLimited:
        return 'The history is kept on the server, which cannot be reached right now. Try again when online.';
      case ErrorKind.unauthorized:
      case ErrorKind.noServer:
        return 'The history is kept on the server: sign in to see it.';
      case ErrorKind.notFound:
        return 'The server has no history for this note yet (it has not synced).';
      default:
        return e.message;
    }
  }
  return e instanceof Error ? e.message : String(e);
}

export interface History {
  entries: Accessor<HistoryEntry[]>;
  loading: Accessor<boolean>;
  /** Why the list or a revision could not be read, for the view. */
  problem: Accessor<string | null>;
  hasMore: Accessor<boolean>;
  /** The chosen revision's diff against the current note (it follows the note). */
  chosen: Accessor<RevisionDiff | null>;
  load(): Promise<void>;
  loadMore(): Promise<void>;
  choose(version: number): Promise<void>;
  /** Restores the chosen revision: a new local edit, saved when this resolves; it then syncs. */
  restore(): Promise<void>;
}

type Engine = Pick<Ferry, 'history' | 'revision' | 'restoreRevision' | 'clientId'>;

export const HISTORY_PAGE = 50;

/**
 * The history of `noteId`. `current` reads the note as the editor has it (after a flush), so
 * the diff is against what the user sees.
 */
export function createHistory(
  ferry: Engine,
  noteId: string,
  current: () => CurrentNote,
  now: () => Date = () => new Date(),
): History {
  const [revisions, setRevisions] = createSignal<RevisionSummary[]>([]);
  const [loading, setLoading] = createSignal(false);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [hasMore, setHasMore] = createSignal(false);
  const [chosenRev, setChosenRev] = createSignal<Revision | null>(null);
  // Derived on read, so it follows the note: after a restore the diff shows what is left. (The
  // view reads it once per change, through its <Show>.)
  const chosen = (): RevisionDiff | null => {
    const rev = chosenRev();
    return rev ? revisionDiff(rev, current()) : null;
  };

  const fetchPage = async (before?: number): Promise<void> => {
    setLoading(true);
    try {
      const page = await ferry.history(noteId, {
        limit: HISTORY_PAGE,
        ...(before === undefined ? {} : { before }),
      });
      setRevisions(before === undefined ? page.revisions : [...revisions(), ...page.revisions]);
      setHasMore(page.hasMore);
      setProblem(null);
    } catch (e) {
      setProblem(historyProblem(e));
    } finally {
      setLoading(false);
    }
  };

  const entries = (): HistoryEntry[] =>
    historyEntries(revisions(), ferry.clientId, current(), now());

  return {
    entries,
    loading,
    problem,
    hasMore,
    chosen,
    load: () => fetchPage(),
    async loadMore() {
      const last = revisions().at(-1);
      if (last) await fetchPage(last.version);
    },
    async choose(version) {
      try {
        setChosenRev(await ferry.revision(noteId, version));
        setProblem(null);
      } catch (e) {
        setProblem(historyProblem(e));
      }
    },
    async restore() {
      const rev = chosenRev();
      if (rev) await ferry.restoreRevision(noteId, rev.version);
    },
  };
}
