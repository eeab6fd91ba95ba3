/**
 * The character diff the conflict and history views show: it must give back both texts exactly
 * (a view that drops or doubles a character would misstate what a choice does), and the
 * shortened form must keep every change and only hide unchanged text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SegmentKind,
  collapseSame,
  diffSegments,
  fromText,
  hasChanges,
  toText,
} from '../src/state/diff.ts';

const text = fc
  .array(fc.constantFrom('a', 'b', ' ', '\n', 'word ', 'é', '🙂'), { maxLength: 60 })
  .map((a) => a.join(''));

describe('diffSegments', () => {
  it('gives back both texts, and marks changes exactly when they differ', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const d = diffSegments(a, b);
        expect(fromText(d)).toBe(a);
        expect(toText(d)).toBe(b);
        expect(hasChanges(d)).toBe(a !== b);
        expect(d.every((s) => s.text !== '')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('marks an added phrase as one piece', () => {
    expect(diffSegments('Lisbon: tram 28.', 'Lisbon: tram 28, visit Belem.')).toEqual([
      { kind: SegmentKind.same, text: 'Lisbon: tram 28' },
      { kind: SegmentKind.added, text: ', visit Belem' },
      { kind: SegmentKind.same, text: '.' },
    ]);
  });
});

describe('collapseSame', () => {
  const long = Array.from({ length: 200 }, (_, i) => `line ${i} of the note\n`).join('');

  it('hides the long unchanged middle, keeps the change and the lines around it', () => {
    const changed = long.replace('line 100 of', 'line 100 (edited) of');
    const c = collapseSame(diffSegments(long, changed), 60);
    const gaps = c.filter((s) => s.kind === SegmentKind.gap);
    expect(gaps).toHaveLength(2);
    const shown = c
      .filter((s) => s.kind !== SegmentKind.gap)
      .map((s) => s.text)
      .join('');
    expect(shown).toContain('(edited)');
    expect(shown).toContain('line 99 of the note');
    expect(shown.length).toBeLessThan(400);
    // Gaps are whole lines here: they start right after a line break.
    for (const g of gaps) expect(g.text.startsWith('line ')).toBe(true);
  });

  it('only ever hides unchanged text: both texts are still there, gaps included', () => {
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: 20 }), (a, b, context) => {
        const c = collapseSame(diffSegments(a + long, b + long), context);
        const asSame = c.map((s) =>
          s.kind === SegmentKind.gap ? { ...s, kind: SegmentKind.same } : s,
        );
        expect(fromText(asSame)).toBe(a + long);
        expect(toText(asSame)).toBe(b + long);
        expect(
          c.filter((s) => s.kind === SegmentKind.added || s.kind === SegmentKind.removed),
        ).toEqual(diffSegments(a + long, b + long).filter((s) => s.kind !== SegmentKind.same));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves a short text whole', () => {
    const d = diffSegments('one two', 'one three');
    expect(collapseSame(d)).toEqual(d);
  });
});
