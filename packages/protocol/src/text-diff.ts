import { DIFF_EQUAL, makeDiff } from '@sanity/diff-match-patch';

/**
 * Token diffs for the three-way text merge (`text-merge.ts`).
 *
 * A text is cut into tokens (lines, or words inside a line-level overlap); diff-match-patch then
 * diffs the token sequences, each token interned as one UTF-16 code unit (its "line mode", done
 * here so the same code serves words). Interning skips the surrogate range, which the library
 * treats specially, so one call handles up to ~63 000 distinct tokens; beyond that the caller
 * falls back to a coarse diff (see `Overflow`).
 */

/** One change of a diff: base tokens `[start, end)` become `tokens`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly tokens: readonly string[];
}

/** Lines, each with its `\n` (the last one without, when the text does not end in one). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Runs of whitespace, words (letters, digits, `_`) and single other characters. */
export function splitWords(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu) ?? [];
}

/** More distinct tokens than code units to intern them as. */
export class Overflow extends Error {}

const FIRST_CODE = 1;
const SURROGATES_START = 0xd800;
const SURROGATES_END = 0xdfff;
const LAST_CODE = 0xffff;

/** Interns tokens as single code units, shared by every sequence of one merge. */
export class Interner {
  private readonly codes = new Map<string, number>();
  private next = FIRST_CODE;
  private readonly encoded = new WeakMap<readonly string[], string>();

  /** The sequence as a string of one code unit per token (each array is encoded once). */
  encode(tokens: readonly string[]): string {
    const known = this.encoded.get(tokens);
    if (known !== undefined) return known;
    const units = new Array<number>(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let c = this.codes.get(t);
      if (c === undefined) {
        if (this.next === SURROGATES_START) this.next = SURROGATES_END + 1;
        if (this.next > LAST_CODE) throw new Overflow('too many distinct tokens');
        c = this.next++;
        this.codes.set(t, c);
      }
      units[i] = c;
    }
    // In chunks: one call per code unit would build a rope, a spread of them all could
    // overflow the stack.
    let out = '';
    for (let i = 0; i < units.length; i += CHUNK)
      out += String.fromCharCode(...units.slice(i, i + CHUNK));
    this.encoded.set(tokens, out);
    return out;
  }
}

const CHUNK = 8192;

/**
 * Seconds one diff may take before diff-match-patch settles for a coarser (still correct) diff.
 * Keeps a pathological pair of texts from holding the event loop; a coarser diff only means
 * larger hunks, so at worst more of the text is reported as overlapping.
 */
const DIFF_TIMEOUT_S = 0.2;

/**
 * The edits that turn `base` into `other`, in base order; consecutive deletions and insertions
 * form one edit, so two edits of one diff are always separated by at least one unchanged token.
 */
export function tokenEdits(
  interner: Interner,
  base: readonly string[],
  other: readonly string[],
): Edit[] {
  const diffs = makeDiff(interner.encode(base), interner.encode(other), {
    checkLines: false,
    timeout: DIFF_TIMEOUT_S,
  });
  const edits: Edit[] = [];
  let bi = 0;
  let oi = 0;
  let open: { start: number; end: number; tokens: string[] } | null = null;
  for (const [op, chunk] of diffs) {
    const n = chunk.length;
    if (op === DIFF_EQUAL) {
      if (open) edits.push(open);
      open = null;
      bi += n;
      oi += n;
      continue;
    }
    open ??= { start: bi, end: bi, tokens: [] };
    if (op < 0) {
      bi += n;
      open.end = bi;
    } else {
      for (let k = 0; k < n; k++) open.tokens.push(other[oi + k]!);
      oi += n;
    }
  }
  if (open) edits.push(open);
  return edits;
}

/** One edit for the whole differing middle (after the common prefix and suffix of tokens). */
export function coarseEdits(base: readonly string[], other: readonly string[]): Edit[] {
  let p = 0;
  while (p < base.length && p < other.length && base[p] === other[p]) p++;
  let s = 0;
  while (
    s < base.length - p &&
    s < other.length - p &&
    base[base.length - 1 - s] === other[other.length - 1 - s]
  )
    s++;
  if (p === base.length && p === other.length) return [];
  return [{ start: p, end: base.length - s, tokens: other.slice(p, other.length - s) }];
}
