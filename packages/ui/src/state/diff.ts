/**
 * Character diffs for people: what the conflict and history views highlight. diff-match-patch
 * (the library the protocol's merge uses for its token diffs) makes the diff and its semantic
 * cleanup groups changes into whole words and phrases instead of scattered letters.
 */
import { DIFF_DELETE, DIFF_INSERT, cleanupSemantic, makeDiff } from '@sanity/diff-match-patch';

/** Where a piece of text comes from: both texts, only the new one, only the old one. */
export const SegmentKind = {
  same: 'same',
  added: 'added',
  removed: 'removed',
  gap: 'gap',
} as const;
export type SegmentKind = (typeof SegmentKind)[keyof typeof SegmentKind];

export interface Segment {
  kind: SegmentKind;
  /** The text; for a `gap`, the unchanged text left out (see `collapseSame`). */
  text: string;
}

/**
 * Seconds one diff may take before diff-match-patch settles for a coarser (still correct) diff,
 * so a huge note never freezes the window.
 */
const DIFF_TIMEOUT_S = 0.25;

/** The pieces that turn `from` into `to`, in order. */
export function diffSegments(from: string, to: string): Segment[] {
  if (from === to) return from === '' ? [] : [{ kind: SegmentKind.same, text: from }];
  const diffs = cleanupSemantic(
    makeDiff(from, to, { checkLines: from.length + to.length > 10_000, timeout: DIFF_TIMEOUT_S }),
  );
  return diffs
    .filter(([, text]) => text !== '')
    .map(([op, text]) => ({
      kind:
        op === DIFF_INSERT
          ? SegmentKind.added
          : op === DIFF_DELETE
            ? SegmentKind.removed
            : SegmentKind.same,
      text,
    }));
}

/** The old text again (everything but the additions). */
export function fromText(segments: readonly Segment[]): string {
  return segments
    .filter((s) => s.kind === SegmentKind.same || s.kind === SegmentKind.removed)
    .map((s) => s.text)
    .join('');
}

/** The new text again (everything but the removals). */
export function toText(segments: readonly Segment[]): string {
  return segments
    .filter((s) => s.kind === SegmentKind.same || s.kind === SegmentKind.added)
    .map((s) => s.text)
    .join('');
}

/** True when the two texts differ. */
export function hasChanges(segments: readonly Segment[]): boolean {
  return segments.some((s) => s.kind === SegmentKind.added || s.kind === SegmentKind.removed);
}

/**
 * Shortens long unchanged stretches to `context` characters on each side of a change (whole
 * lines where possible); the middle becomes a `gap` segment holding the text left out, so a
 * small change in a long note shows at once.
 */
export function collapseSame(segments: readonly Segment[], context = 120): Segment[] {
  const out: Segment[] = [];
  segments.forEach((s, i) => {
    if (s.kind !== SegmentKind.same) return void out.push(s);
    const keepBefore = i > 0 ? context : 0; // after a change: its trailing context
    const keepAfter = i < segments.length - 1 ? context : 0; // before a change: its leading context
    if (s.text.length <= keepBefore + keepAfter + context) return void out.push(s);
    const head = lineEnd(s.text, keepBefore);
    const tail = lineStart(s.text, s.text.length - keepAfter);
    if (tail <= head) return void out.push(s);
    if (head > 0) out.push({ kind: SegmentKind.same, text: s.text.slice(0, head) });
    out.push({ kind: SegmentKind.gap, text: s.text.slice(head, tail) });
    if (tail < s.text.length) out.push({ kind: SegmentKind.same, text: s.text.slice(tail) });
  });
  return out;
}

/** `at` moved forward to just after the next line break, unless that is far away. */
function lineEnd(text: string, at: number): number {
  if (at === 0) return 0;
  const nl = text.indexOf('\n', at);
  return nl !== -1 && nl - at < 80 ? nl + 1 : at;
}

/** `at` moved back to the start of its line, unless that is far away. */
function lineStart(text: string, at: number): number {
  if (at >= text.length) return text.length;
  const nl = text.lastIndexOf('\n', at - 1);
  return nl !== -1 && at - nl < 80 ? nl + 1 : at;
}
