/**
 * The open text conflicts (overlapping edits the server's merge could not settle), live: which
 * notes have one (the list's and the editor's marker) and, for the conflict view, each overlap
 * as two versions side by side with their differences marked.
 */
import { deviceLabel, type Ferry, type TextConflict, type TextResolution } from '@ferry/client';
import type { TextHunk } from '@ferry/protocol';
import { TEXT_CONFLICTS_TABLE, mergeText, settleHunks } from '@ferry/protocol';
import { createSignal, type Accessor } from 'solid-js';
import { diffSegments, SegmentKind, type Segment } from './diff.ts';

/** The conflicts of each note that has any, oldest first. */
export type ConflictsByNote = ReadonlyMap<string, readonly TextConflict[]>;

/** Groups open conflicts by note (the `notes` table's only: the app shows notes). */
export function groupByNote(conflicts: readonly TextConflict[], table = 'notes'): ConflictsByNote {
  const out = new Map<string, TextConflict[]>();
  for (const c of conflicts) {
    if (c.table !== table) continue;
    const list = out.get(c.recordId);
    if (list) list.push(c);
    else out.set(c.recordId, [c]);
  }
  return out;
}

/** One overlap for the view: the two versions, each with what the other lacks marked. */
export interface HunkView {
  /** The version the note's text holds now, in its lines. */
  kept: Segment[];
  /** The version set aside, in the same lines. */
  other: Segment[];
  /** The part as it was before either edit ('' when not known). */
  base: string;
}

/**
 * The lines around an overlap, from the conflict's text: an overlap can be a few words, which
 * mean little without the rest of their line.
 */
export function hunkContext(text: string, h: TextHunk): { before: string; after: string } {
  const end = h.at + h.kept.length;
  // A hunk of whole lines (it ends with a line break) needs no more of its last line.
  const wholeLines = h.kept.endsWith('\n') || (h.kept === '' && h.other.endsWith('\n'));
  const nl = text.indexOf('\n', end);
  return {
    before: text.slice(text.lastIndexOf('\n', h.at - 1) + 1, h.at),
    after: wholeLines ? '' : text.slice(end, nl === -1 ? text.length : nl),
  };
}

/** A conflict for the view. */
export interface ConflictView {
  id: string;
  /**
   * Who wrote the version in the note, and the one set aside ("this device", "Ana's phone
   * (3f9a2c)", or "device 3f9a2c" when no name is known).
   */
  keptBy: string;
  otherBy: string;
  createdAt: string;
  hunks: HunkView[];
}

/**
 * The side-by-side view of a conflict: per overlap, in the lines around it, the kept version
 * shows (as `removed`) what only it has, the other version (as `added`) what only it has; both
 * show the shared text as `same`.
 */
export function conflictView(c: TextConflict, me: string): ConflictView {
  return {
    id: c.id,
    keptBy: deviceLabel(c.keptClientId, me, { name: c.keptDeviceName }),
    otherBy: deviceLabel(c.otherClientId, me, { name: c.otherDeviceName }),
    createdAt: c.createdAt,
    hunks: c.hunks.map((h) => {
      const { before, after } = hunkContext(c.text, h);
      const d = diffSegments(before + h.kept + after, before + h.other + after);
      return {
        kept: d.filter((s) => s.kind !== SegmentKind.added),
        other: d.filter((s) => s.kind !== SegmentKind.removed),
        base: h.base,
      };
    }),
  };
}

/**
 * The text "Edit" starts from: the current text with both versions of every overlap, so the
 * user deletes what is not wanted instead of retyping it. Applied to the current text as the
 * engine's "keep both" would be (later edits elsewhere stay); if the current text changed the
 * conflicting part itself since, it starts from the current text.
 */
export function editStart(c: TextConflict, current: string): string {
  const both = settleHunks(c.text, c.hunks, 'both');
  const r = mergeText(c.text, current, both, 'b');
  return r.hunks.length === 0 ? r.text : current;
}

export interface TextConflicts {
  byNote: Accessor<ConflictsByNote>;
  /** Open conflicts of one note (none: an empty list). */
  of(noteId: string | null): readonly TextConflict[];
  resolve(id: string, how: TextResolution): Promise<void>;
  refresh(): void;
  dispose(): void;
}

type Engine = Pick<Ferry, 'textConflicts' | 'resolveTextConflict' | 'subscribe'>;

/**
 * The open conflicts, re-read whenever a conflict row changes or a sync changes notes (a pulled
 * conflict, a resolution on any device), coalesced like the notes list. A local write of a note
 * cannot open or end one (a resolution here writes a conflict row and says so).
 */
export function createTextConflicts(ferry: Engine, onError: (e: unknown) => void): TextConflicts {
  const [byNote, setByNote] = createSignal<ConflictsByNote>(new Map());
  let queued = false;
  let generation = 0;
  const run = async (): Promise<void> => {
    const mine = ++generation;
    const list = await ferry.textConflicts();
    if (mine === generation) setByNote(groupByNote(list));
  };
  const refresh = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      run().catch(onError);
    });
  };
  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'changed') return;
    if (e.table === TEXT_CONFLICTS_TABLE || (e.table === 'notes' && e.origin === 'remote'))
      refresh();
  });
  refresh();
  return {
    byNote,
    of: (noteId) => (noteId === null ? [] : (byNote().get(noteId) ?? [])),
    async resolve(id, how) {
      await ferry.resolveTextConflict(id, how);
      refresh();
    },
    refresh,
    dispose: unsubscribe,
  };
}
