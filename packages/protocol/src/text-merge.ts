import { anchoredEdits } from './text-anchors.ts';
import {
  Interner,
  Overflow,
  coarseEdits,
  splitLines,
  splitWords,
  tokenEdits,
  type Edit,
} from './text-diff.ts';

/**
 * Three-way merge of texts, used by the server for fields declared `merge: 'text'`.
 *
 * Both sides are diffed against the common base, line by line; edits of the two sides that do
 * not overlap in the base are both applied. Where they overlap (and differ), the overlap is
 * merged again word by word; what still overlaps is a hunk: the text keeps the preferred side's
 * version (the later writer's) and the hunk keeps the other's, so nothing is lost.
 *
 * "Overlap", for edits `[s, e)` of the base: two edits that share a base token; an insertion
 * strictly inside the other side's edit; two insertions at the same point. Between lines, an
 * insertion at the edge of the other side's edit is not an overlap (it goes before or after
 * it); between words it is (side by side, two words could run into one). Identical edits of
 * both sides are applied once. The result depends on the set of edits only, so edits that
 * do not overlap merge to the same text in either order.
 */

/** An overlap the merge could not resolve. Offsets count UTF-16 code units. */
export interface TextHunk {
  /** Where `kept` starts in the merged text. */
  readonly at: number;
  /** The overlapping part as it was in the base ('' when the base is unknown). */
  readonly base: string;
  /** The part as the merged text has it (the preferred side's version). */
  readonly kept: string;
  /** The other side's version of the part. */
  readonly other: string;
}

export interface TextMergeResult {
  readonly text: string;
  /** Empty when the merge was clean. */
  readonly hunks: readonly TextHunk[];
}

/** Which side's version an overlap keeps in the text. */
export type Prefer = 'a' | 'b';

/**
 * Merges `a` and `b`, both edits of `base`. `base === null` (the base is not known any more)
 * treats the whole differing middle as one overlap.
 */
export function mergeText(
  base: string | null,
  a: string,
  b: string,
  prefer: Prefer = 'b',
): TextMergeResult {
  if (a === b) return { text: a, hunks: [] };
  if (base === null) return unknownBase(a, b, prefer);
  if (base === a) return { text: b, hunks: [] };
  if (base === b) return { text: a, hunks: [] };
  const out = new Builder();
  mergeTokens(out, splitLines(base), splitLines(a), splitLines(b), prefer, 'line');
  return out.result();
}

/** The base is gone: one hunk for every line between the common first and last lines. */
function unknownBase(a: string, b: string, prefer: Prefer): TextMergeResult {
  const la = splitLines(a);
  const [edit] = coarseEdits(la, splitLines(b));
  if (!edit) return { text: a, hunks: [] };
  const prefix = la.slice(0, edit.start).join('');
  const suffix = la.slice(edit.end).join('');
  const aPart = la.slice(edit.start, edit.end).join('');
  const bPart = edit.tokens.join('');
  const kept = prefer === 'a' ? aPart : bPart;
  const other = prefer === 'a' ? bPart : aPart;
  return {
    text: prefix + kept + suffix,
    hunks: [{ at: prefix.length, base: '', kept, other }],
  };
}

/** Collects the merged text and its hunks. */
class Builder {
  private parts: string[] = [];
  private length = 0;
  private readonly hunks: TextHunk[] = [];

  push(s: string): void {
    if (s === '') return;
    this.parts.push(s);
    this.length += s.length;
  }

  hunk(base: string, kept: string, other: string): void {
    this.hunks.push({ at: this.length, base, kept, other });
    this.push(kept);
  }

  result(): TextMergeResult {
    return { text: this.parts.join(''), hunks: this.hunks };
  }
}

interface Tagged extends Edit {
  readonly side: 'a' | 'b';
}

/** Both sides' edits in base order: by start, an insertion before an edit starting there. */
function ordered(ea: readonly Edit[], eb: readonly Edit[]): Tagged[] {
  const all: Tagged[] = [
    ...ea.map((e) => ({ ...e, side: 'a' as const })),
    ...eb.map((e) => ({ ...e, side: 'b' as const })),
  ];
  return all.sort((x, y) => x.start - y.start || x.end - y.end || (x.side < y.side ? -1 : 1));
}

/**
 * Edits that overlap each other, directly or through others. Edits come in base order, so an
 * edit overlaps the open group exactly when the other side has a non-empty edit there reaching
 * past its start, or (for an insertion) an insertion at the same point. With `edges`, edits that
 * only touch (one ends or inserts where the other starts) overlap too: used for words, where
 * putting both side by side could glue two words into one. Lines glue only at the end of a text
 * without a final newline: an insertion after an edit that ends so overlaps it.
 */
function groups(edits: readonly Tagged[], edges: boolean): Tagged[][] {
  const out: Tagged[][] = [];
  let open: Tagged[] = [];
  const reach = { a: -1, b: -1 };
  const point = { a: -1, b: -1 };
  const tail = { a: -1, b: -1 };
  for (const e of edits) {
    const other = e.side === 'a' ? 'b' : 'a';
    const empty = e.start === e.end;
    const joins =
      open.length > 0 &&
      (edges
        ? reach[other] >= e.start || point[other] === e.start
        : reach[other] > e.start ||
          (empty && (point[other] === e.start || tail[other] === e.start)));
    if (!joins) {
      if (open.length > 0) out.push(open);
      open = [];
      reach.a = reach.b = point.a = point.b = tail.a = tail.b = -1;
    }
    open.push(e);
    if (e.tokens.length > 0 && !e.tokens.at(-1)!.endsWith('\n')) tail[e.side] = e.end;
    if (empty) point[e.side] = e.start;
    else reach[e.side] = Math.max(reach[e.side], e.end);
  }
  if (open.length > 0) out.push(open);
  return out;
}

/** The edits of one side, joined where nothing pins them apart (see `anchoredEdits`). */
function diff(interner: Interner, base: readonly string[], other: readonly string[]): Edit[] {
  try {
    return anchoredEdits(tokenEdits(interner, base, other), base, other, interner);
  } catch (e) {
    if (e instanceof Overflow) return coarseEdits(base, other);
    throw e;
  }
}

/** The base tokens `[start, end)` with one side's edits inside that range applied. */
function applySide(
  base: readonly string[],
  start: number,
  end: number,
  edits: readonly Tagged[],
): string {
  let s = '';
  let i = start;
  for (const e of edits) {
    for (; i < e.start; i++) s += base[i]!;
    s += e.tokens.join('');
    i = e.end;
  }
  for (; i < end; i++) s += base[i]!;
  return s;
}

function mergeTokens(
  out: Builder,
  base: readonly string[],
  a: readonly string[],
  b: readonly string[],
  prefer: Prefer,
  level: 'line' | 'word',
): void {
  const interner = new Interner();
  const edits = ordered(diff(interner, base, a), diff(interner, base, b));
  let i = 0;
  for (const group of groups(edits, level === 'word')) {
    const start = group[0]!.start;
    let end = start;
    for (const e of group) end = Math.max(end, e.end);
    for (; i < start; i++) out.push(base[i]!);
    i = end;
    const sideA = group.filter((e) => e.side === 'a');
    const sideB = group.filter((e) => e.side === 'b');
    const va = applySide(base, start, end, sideA);
    if (sideB.length === 0) {
      out.push(va);
      continue;
    }
    const vb = applySide(base, start, end, sideB);
    if (sideA.length === 0 || va === vb) {
      out.push(vb);
      continue;
    }
    const region = base.slice(start, end).join('');
    if (level === 'line') {
      mergeTokens(out, splitWords(region), splitWords(va), splitWords(vb), prefer, 'word');
    } else {
      out.hunk(region, prefer === 'a' ? va : vb, prefer === 'a' ? vb : va);
    }
  }
  for (; i < base.length; i++) out.push(base[i]!);
}

/** How to settle a text conflict: `this` keeps the text, `other` and `both` change each hunk. */
export type HunkChoice = 'this' | 'other' | 'both';

/**
 * The text with every hunk settled one way: `this` leaves it; `other` puts the other side's
 * version in place of the kept one; `both` keeps the kept version followed by the other (on a
 * line of its own when the kept part ends a line). Hunks must be those `mergeText` made for `text`.
 */
export function settleHunks(text: string, hunks: readonly TextHunk[], choice: HunkChoice): string {
  if (choice === 'this') return text;
  let out = '';
  let i = 0;
  for (const h of [...hunks].sort((x, y) => x.at - y.at)) {
    out += text.slice(i, h.at);
    out += choice === 'other' ? h.other : joinBoth(h.kept, h.other);
    i = h.at + h.kept.length;
  }
  return out + text.slice(i);
}

function joinBoth(kept: string, other: string): string {
  if (kept === '' || other === '') return kept + other;
  if (kept.endsWith('\n') || /\s$/.test(kept) || /^\s/.test(other)) return kept + other;
  return `${kept} ${other}`;
}
