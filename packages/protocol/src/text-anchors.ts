import { splitWords, type Edit, type Interner } from './text-diff.ts';

/**
 * One side's edits for a three-way merge, joined where keeping them apart could move or double
 * a word (issue 8: a word applied twice).
 *
 * The merge takes each group of overlapping edits from one side or the other. When one side's
 * change is cut into two edits and only one of them overlaps the other side, the merge keeps
 * one half and drops the other. If the two halves move a word (delete it in one place, insert it
 * in another), the result holds it twice: once where the other side kept it, once where this side
 * put it. Two rules keep that from happening:
 *
 * 1. Edits stay apart only when an anchor lies between them: a token that is not whitespace and
 *    occurs exactly once in the base and once in the side, so that every diff matches it. Spaces,
 *    line breaks, blank lines and repeated words are not: a diff may match any of them ("delete
 *    `\ntheta` before a space, insert `w5\n` after it" is as short as "insert ` w5` before the
 *    line break, delete `theta `"), and where it matches them only decides how a change is cut.
 * 2. Edits that move a word, one deleting and another inserting a word that occurs once in the
 *    base and once in the side (a line moved, or a line edited so that it equals another), are
 *    one edit with everything between them.
 *
 * A larger edit only makes an overlap more likely: a hunk, never a lost or doubled word.
 */
export function anchoredEdits(
  edits: readonly Edit[],
  base: readonly string[],
  side: readonly string[],
  interner: Interner,
): Edit[] {
  if (edits.length < 2) return [...edits];
  return joinMoves(joinUnanchored(edits, base, side, interner), base, side);
}

/** Rule 1: consecutive edits with no anchor token between them become one. */
function joinUnanchored(
  edits: readonly Edit[],
  base: readonly string[],
  side: readonly string[],
  interner: Interner,
): Edit[] {
  // Counted on the interned codes (the diff made them already): no string hashing.
  const baseCodes = interner.encode(base);
  const once = onceInBoth(baseCodes, interner.encode(side));
  const anchor = (i: number): boolean => once(baseCodes.charCodeAt(i)) && !/^\s*$/.test(base[i]!);
  const out: Edit[] = [edits[0]!];
  for (const e of edits.slice(1)) {
    const prev = out[out.length - 1]!;
    let pinned = false;
    for (let i = prev.end; i < e.start && !pinned; i++) pinned = anchor(i);
    if (pinned) out.push(e);
    else out[out.length - 1] = join(base, prev, e);
  }
  return out;
}

/** Whether a code occurs exactly once in each of two code strings. */
function onceInBoth(a: string, b: string): (code: number) => boolean {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, a.charCodeAt(i));
  for (let i = 0; i < b.length; i++) max = Math.max(max, b.charCodeAt(i));
  // Counts stop at 2: only "once" matters.
  const inA = new Uint8Array(max + 1);
  const inB = new Uint8Array(max + 1);
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (inA[c]! < 2) inA[c]!++;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (inB[c]! < 2) inB[c]!++;
  }
  return (c) => inA[c] === 1 && inB[c] === 1;
}

/** Rule 2: the edits from one that deletes a once-only word to one that inserts it become one. */
function joinMoves(
  edits: readonly Edit[],
  base: readonly string[],
  side: readonly string[],
): Edit[] {
  if (edits.length < 2) return [...edits];
  // Only the changed tokens are split into words; the texts are searched for the few words that
  // one edit deletes and another inserts (NaN: more than one edit, so not once-only).
  const deletedBy = byWord(edits.map((e) => base.slice(e.start, e.end)));
  const insertedBy = byWord(edits.map((e) => e.tokens));
  // reach[i]: the last edit that edit i must be joined with.
  const reach = edits.map((_, i) => i);
  let baseText: string | null = null;
  let sideText: string | null = null;
  for (const [w, d] of deletedBy) {
    const k = insertedBy.get(w);
    if (k === undefined || k === d || Number.isNaN(k) || Number.isNaN(d)) continue;
    baseText ??= base.join('');
    sideText ??= side.join('');
    if (!occursOnce(baseText, w) || !occursOnce(sideText, w)) continue;
    const lo = Math.min(d, k);
    reach[lo] = Math.max(reach[lo]!, d, k);
  }
  const out: Edit[] = [];
  for (let i = 0; i < edits.length;) {
    let last = reach[i]!;
    let e = edits[i]!;
    for (let j = i + 1; j <= last; j++) {
      e = join(base, e, edits[j]!);
      last = Math.max(last, reach[j]!);
    }
    out.push(e);
    i = last + 1;
  }
  return out;
}

/** Each word (not whitespace) of the token lists, and the index of the one list it is in, or NaN. */
function byWord(lists: readonly (readonly string[])[]): Map<string, number> {
  const out = new Map<string, number>();
  lists.forEach((tokens, i) => {
    for (const w of splitWords(tokens.join(''))) {
      if (/^\s+$/.test(w)) continue;
      const seen = out.get(w);
      out.set(w, seen === undefined || seen === i ? i : NaN);
    }
  });
  return out;
}

const ENDS_IN_WORD = /[\p{L}\p{M}\p{N}_]$/u;
const STARTS_WITH_WORD = /^[\p{L}\p{M}\p{N}_]/u;

/** True when `word` occurs exactly once in `text` as a whole token (see `splitWords`). */
function occursOnce(text: string, word: string): boolean {
  const isWord = STARTS_WITH_WORD.test(word);
  let n = 0;
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    // Two code units each side: a letter outside the BMP is a surrogate pair.
    const whole =
      !isWord ||
      (!ENDS_IN_WORD.test(text.slice(Math.max(0, at - 2), at)) &&
        !STARTS_WITH_WORD.test(text.slice(at + word.length, at + word.length + 2)));
    if (whole && ++n > 1) return false;
  }
  return n === 1;
}

/** `a` and `b` (a before b) as one edit, the base tokens between them included. */
function join(base: readonly string[], a: Edit, b: Edit): Edit {
  return {
    start: a.start,
    end: b.end,
    tokens: [...a.tokens, ...base.slice(a.end, b.start), ...b.tokens],
  };
}
