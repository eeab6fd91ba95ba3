import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeText, settleHunks, type TextMergeResult } from '../src/index.ts';

// Property tests of the three-way text merge. Seeded: FERRY_FC_SEED replays a run, and every
// failure prints fast-check's seed and path.
const seed =
  process.env.FERRY_FC_SEED === undefined
    ? Date.now() % 2 ** 31
    : Number(process.env.FERRY_FC_SEED);
const runs = Number(process.env.FERRY_FC_RUNS ?? 300);
const params = { seed, numRuns: runs, verbose: 1 } as const;
console.log(
  `text-merge properties: seed ${seed} (replay with FERRY_FC_SEED=${seed}), ${runs} runs each`,
);

// Base words never contain a `q`; inserted words are `qa<n>` (side a) and `qb<n>` (side b), so an
// inserted word can only come from its side.
const word = fc.constantFrom('a', 'b', 'the', 'plan', 'day', 'x', 'lisbon', 'porto', '1', '.', ',');
const line = fc.array(word, { minLength: 0, maxLength: 6 }).map((ws) => ws.join(' '));
const baseText = fc
  .tuple(fc.array(line, { minLength: 0, maxLength: 12 }), fc.boolean())
  .map(([ls, endsWithNewline]) => ls.join('\n') + (endsWithNewline && ls.length > 0 ? '\n' : ''));

/** One step of an edit: insert a new word, insert a new line, delete a word, delete a line. */
type Op = { kind: 'word' | 'line' | 'delWord' | 'delLine'; at: number };
const op = fc.record({
  kind: fc.constantFrom('word', 'line', 'delWord', 'delLine'),
  at: fc.nat(),
}) as fc.Arbitrary<Op>;

/** Applies ops to `text`, inserting words `q<side><n>`; returns the text and the words inserted. */
function edit(
  text: string,
  ops: readonly Op[],
  side: string,
  lines?: { from: number; to: number },
): { text: string; inserted: string[] } {
  const ls = text.split('\n');
  const inserted: string[] = [];
  const range = (): [number, number] => [
    lines ? Math.min(lines.from, ls.length) : 0,
    lines ? Math.min(lines.to, ls.length) : ls.length,
  ];
  for (const [n, o] of ops.entries()) {
    const [from, to] = range();
    if (to <= from) break;
    const li = from + (o.at % (to - from));
    const ws = ls[li]!.split(' ').filter((w) => w !== '');
    const fresh = `q${side}${n}`;
    switch (o.kind) {
      case 'word':
        ws.splice(o.at % (ws.length + 1), 0, fresh);
        ls[li] = ws.join(' ');
        inserted.push(fresh);
        break;
      case 'line':
        if (lines) break; // would move the other side's range
        ls.splice(li, 0, fresh);
        inserted.push(fresh);
        break;
      case 'delWord':
        if (ws.length > 0 && !ws[o.at % ws.length]!.startsWith('q')) ws.splice(o.at % ws.length, 1);
        ls[li] = ws.join(' ');
        break;
      case 'delLine':
        if (!lines && !ls[li]!.includes('q')) ls.splice(li, 1);
        break;
    }
  }
  return { text: ls.join('\n'), inserted };
}

function present(r: TextMergeResult, w: string): boolean {
  const re = new RegExp(`(^|[^\\p{L}\\p{N}_])${w}($|[^\\p{L}\\p{N}_])`, 'u');
  return re.test(r.text) || r.hunks.some((h) => re.test(h.other));
}

const ops = fc.array(op, { minLength: 1, maxLength: 8 });

describe('mergeText properties', () => {
  it('merge(base, a, base) = a, merge(base, base, b) = b, merge(base, a, a) = a', () => {
    fc.assert(
      fc.property(baseText, ops, fc.constantFrom('a' as const, 'b' as const), (base, o, prefer) => {
        const a = edit(base, o, 'a').text;
        expect(mergeText(base, a, base, prefer)).toEqual({ text: a, hunks: [] });
        expect(mergeText(base, base, a, prefer)).toEqual({ text: a, hunks: [] });
        expect(mergeText(base, a, a, prefer)).toEqual({ text: a, hunks: [] });
      }),
      params,
    );
  });

  it('edits of different lines merge cleanly, in either order, to the same text with every inserted word', () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 2, maxLength: 12 }),
        ops,
        ops,
        fc.nat(),
        (ls, oa, ob, cut) => {
          const base = ls.join('\n');
          // a edits lines [0, k), b edits lines [k + 1, n): one untouched line between them.
          const k = cut % (ls.length - 1);
          const a = edit(base, oa, 'a', { from: 0, to: k });
          const b = edit(base, ob, 'b', { from: k + 1, to: ls.length });
          const ab = mergeText(base, a.text, b.text, 'b');
          const ba = mergeText(base, b.text, a.text, 'a');
          expect(ab.hunks).toEqual([]);
          expect(ba).toEqual(ab);
          for (const w of [...a.inserted, ...b.inserted])
            expect(ab.text).toMatch(new RegExp(`\\b${w}\\b`));
        },
      ),
      params,
    );
  });

  it('is symmetric: swapping the sides and the preference gives the same text and mirrored hunks', () => {
    fc.assert(
      fc.property(baseText, ops, ops, (base, oa, ob) => {
        const a = edit(base, oa, 'a').text;
        const b = edit(base, ob, 'b').text;
        const ab = mergeText(base, a, b, 'b');
        const ba = mergeText(base, b, a, 'a');
        expect(ba).toEqual(ab);
        if (ab.hunks.length === 0) expect(mergeText(base, a, b, 'a')).toEqual(ab);
      }),
      params,
    );
  });

  it('loses no inserted word: each is in the result or in a hunk', () => {
    fc.assert(
      fc.property(
        baseText,
        ops,
        ops,
        fc.constantFrom('a' as const, 'b' as const),
        (base, oa, ob, prefer) => {
          const a = edit(base, oa, 'a');
          const b = edit(base, ob, 'b');
          const r = mergeText(base, a.text, b.text, prefer);
          for (const w of [...a.inserted, ...b.inserted])
            expect(
              present(r, w),
              `${w} lost: ${JSON.stringify({ base, a: a.text, b: b.text, r })}`,
            ).toBe(true);
          // An unknown base (history purged): nothing lost either.
          const u = mergeText(null, a.text, b.text, prefer);
          for (const w of [...a.inserted, ...b.inserted]) expect(present(u, w)).toBe(true);
        },
      ),
      params,
    );
  });

  it('applies nothing twice when a device merges its next edit into a merged text (it never moves a word)', () => {
    // The shape the text simulation caught (issue 8): device a's text a1 reached the server with
    // another device's edits on top (t); b's edit of the older base merged into it (r1); then a's
    // next edit, built on its own a1, merges into r1. No inserted word may occur twice in either.
    const twice = (text: string): string[] => {
      const ws = text.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.startsWith('q'));
      return ws.filter((w, i) => ws.indexOf(w) !== i);
    };
    fc.assert(
      fc.property(
        baseText,
        fc.tuple(ops, ops, ops, ops),
        fc.tuple(
          fc.constantFrom('a' as const, 'b' as const),
          fc.constantFrom('a' as const, 'b' as const),
        ),
        (base, [oa, oc, ob, od], [p1, p2]) => {
          const a1 = edit(base, oa, 'a').text;
          const t = edit(a1, oc, 'c').text;
          const b1 = edit(base, ob, 'b').text;
          const r1 = mergeText(base, t, b1, p1);
          const a2 = edit(a1, od, 'd').text;
          const r2 = mergeText(a1, r1.text, a2, p2);
          const seen = JSON.stringify({ base, a1, t, b1, r1: r1.text, a2, r2: r2.text });
          expect(twice(r1.text), seen).toEqual([]);
          expect(twice(r2.text), seen).toEqual([]);
        },
      ),
      // The shapes that double a word are rare: 300 runs seldom meet one, 3000 did every time.
      { ...params, numRuns: Math.max(runs, 3000) },
    );
  });

  it('hunks point at their kept text; settling them for the other side gives the other preference', () => {
    fc.assert(
      fc.property(
        fc.option(baseText, { nil: null }),
        baseText,
        ops,
        ops,
        (maybeBase, fallback, oa, ob) => {
          const base = maybeBase ?? fallback;
          const a = edit(base, oa, 'a').text;
          const b = edit(base, ob, 'b').text;
          const known = maybeBase === null ? null : base;
          const rb = mergeText(known, a, b, 'b');
          for (const h of rb.hunks) expect(rb.text.slice(h.at, h.at + h.kept.length)).toBe(h.kept);
          expect(settleHunks(rb.text, rb.hunks, 'other')).toBe(mergeText(known, a, b, 'a').text);
          expect(settleHunks(rb.text, rb.hunks, 'this')).toBe(rb.text);
          const both = settleHunks(rb.text, rb.hunks, 'both');
          for (const h of rb.hunks) {
            expect(both).toContain(h.kept);
            expect(both).toContain(h.other);
          }
        },
      ),
      params,
    );
  });
});

describe('the word-loss property has teeth', () => {
  it('fails for last-writer-wins (the text of the later side, as before text merge)', () => {
    const lww = (base: string, a: string, b: string): TextMergeResult => ({ text: b, hunks: [] });
    expect(() =>
      fc.assert(
        fc.property(baseText, ops, ops, (base, oa, ob) => {
          const a = edit(base, oa, 'a');
          const b = edit(base, ob, 'b');
          const r = lww(base, a.text, b.text);
          for (const w of [...a.inserted, ...b.inserted])
            if (!present(r, w)) throw new Error(`${w} lost`);
        }),
        { ...params, verbose: 0 },
      ),
    ).toThrow(/Property failed/);
  });
});

describe('mergeText examples', () => {
  const trip = 'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto\n';

  it('merges the Trip plan story', () => {
    const a = 'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto\n';
    const b = 'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n';
    expect(mergeText(trip, a, b)).toEqual({
      text: 'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n',
      hunks: [],
    });
  });

  it('merges word by word inside one line', () => {
    const a = 'Day 1: Lisbon and Belem\nDay 2: Sintra\nDay 3: Porto\n';
    const b = 'Day 1: Old Lisbon\nDay 2: Sintra\nDay 3: Porto\n';
    expect(mergeText(trip, a, b)).toEqual({
      text: 'Day 1: Old Lisbon and Belem\nDay 2: Sintra\nDay 3: Porto\n',
      hunks: [],
    });
  });

  it('keeps the preferred side of an overlap and the other in a hunk', () => {
    const a = 'Day 1: Lisbon\nDay 2: Cascais\nDay 3: Porto\n';
    const b = 'Day 1: Lisbon\nDay 2: Evora\nDay 3: Porto\n';
    const r = mergeText(trip, a, b, 'b');
    expect(r.text).toBe(b);
    expect(r.hunks).toEqual([
      { at: 'Day 1: Lisbon\nDay 2: '.length, base: 'Sintra', kept: 'Evora', other: 'Cascais' },
    ]);
    expect(settleHunks(r.text, r.hunks, 'both')).toBe(
      'Day 1: Lisbon\nDay 2: Evora Cascais\nDay 3: Porto\n',
    );
  });

  it('treats two insertions at one point as an overlap', () => {
    const r = mergeText('a\n', 'a\nmilk\n', 'a\neggs\n', 'b');
    expect(r.text).toBe('a\neggs\n');
    expect(r.hunks).toEqual([{ at: 2, base: '', kept: 'eggs\n', other: 'milk\n' }]);
    expect(settleHunks(r.text, r.hunks, 'both')).toBe('a\neggs\nmilk\n');
  });

  it('keeps a deletion and an insertion that only whitespace separates together (seed 531 of the text simulation)', () => {
    // Device a inserted w9 and w5 into line 2; device c deleted "theta" from line 3; device b
    // inserted w10 into line 2 of the older base. The word diff of a+c's side put the deleted
    // "\ntheta" and the inserted "w5\n" on either side of one space; the overlap with b kept b's
    // version of the first and applied the second, moving w5 below "theta". When a's next edit
    // (made on its own text, w5 on line 2) merged into that, w5 was in the text twice.
    const base = 'zeta eta alpha zeta\ndelta\ntheta beta\n';
    const a1 = 'zeta eta alpha zeta\nw9xd2 delta w5xd2\ntheta beta\n';
    const t = 'zeta eta alpha zeta\nw9xd2 delta w5xd2\nbeta\n';
    const b1 = 'zeta eta alpha zeta\ndelta w10xd1\ntheta beta\n';
    const r1 = mergeText(base, t, b1, 'b');
    expect(r1.text).not.toContain('theta w5xd2');
    const a2 = 'zeta eta alpha zeta\nw9xd2 delta w5xd2 w25xd2\ntheta beta\n';
    const r2 = mergeText(a1, r1.text, a2, 'b');
    expect(r2.text.match(/w5xd2/g) ?? []).toHaveLength(1);
  });

  it('keeps a line one side moved and the other edited once, the other version in a hunk', () => {
    const base = 'intro\nmove me\nmiddle\nend\n';
    const moved = 'intro\nmiddle\nend\nmove me\n';
    const edited = 'intro\nmove me now\nmiddle\nend\n';
    for (const [a, b] of [
      [moved, edited],
      [edited, moved],
    ] as const) {
      for (const prefer of ['a', 'b'] as const) {
        const r = mergeText(base, a, b, prefer);
        expect(r.text.match(/move/g), JSON.stringify(r)).toHaveLength(1);
        expect(r.hunks).toHaveLength(1);
      }
    }
  });

  it('without a base, keeps the common first and last lines and one hunk for the lines between', () => {
    const r = mergeText(null, 'intro\nmine\nend\n', 'intro\ntheirs\nend\n', 'a');
    expect(r).toEqual({
      text: 'intro\nmine\nend\n',
      hunks: [{ at: 6, base: '', kept: 'mine\n', other: 'theirs\n' }],
    });
  });
});
