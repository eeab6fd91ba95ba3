import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HLC_ZERO, HlcClock, formatHlc, hlcNode, isHlc, parseHlc, type Hlc } from '../src/index.ts';

const parts = fc.record({
  wall: fc.integer({ min: 0, max: 999_999_999_999_999 }),
  counter: fc.integer({ min: 0, max: 99_999 }),
  node: fc.stringMatching(/^[0-9a-f]{16}$/),
});

describe('HLC encoding', () => {
  it('round-trips every valid stamp and is 38 characters', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const s = formatHlc(p);
        expect(s).toHaveLength(38);
        expect(isHlc(s)).toBe(true);
        expect(parseHlc(s)).toEqual(p);
      }),
    );
  });

  it('orders stamps as strings exactly as (wall, counter, node) tuples', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const tuple =
          a.wall - b.wall ||
          a.counter - b.counter ||
          (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
        const str = formatHlc(a) < formatHlc(b) ? -1 : formatHlc(a) > formatHlc(b) ? 1 : 0;
        expect(Math.sign(str)).toBe(Math.sign(tuple));
      }),
    );
  });

  it('rejects malformed stamps', () => {
    for (const bad of [
      '',
      '1-2-3',
      '00000000000000-00000-0000000000000000',
      `${HLC_ZERO}0`,
      HLC_ZERO.toUpperCase().replace('0000000000000000', 'ABCDEF0123456789'),
    ]) {
      expect(isHlc(bad)).toBe(false);
      expect(() => parseHlc(bad)).toThrow();
    }
  });

  it('derives the node from the SHA-256 of an id', () => {
    expect(hlcNode('test')).toBe('9f86d081884c7d65');
  });
});

describe('HLC clock', () => {
  it('makes strictly increasing stamps whatever the physical clock does, and stays above received stamps', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('tick' as const),
              dt: fc.integer({ min: -5_000, max: 5_000 }),
            }),
            fc.record({ kind: fc.constant('recv' as const), remote: parts }),
          ),
          { maxLength: 200 },
        ),
        (events) => {
          let t = 1_764_000_000_000;
          const clock = new HlcClock('00000000000000aa', () => t);
          let last: Hlc = HLC_ZERO;
          for (const e of events) {
            if (e.kind === 'tick') {
              t = Math.max(0, t + e.dt);
              const s = clock.now();
              expect(s > last).toBe(true);
              last = s;
            } else {
              const r = formatHlc({
                ...e.remote,
                wall: Math.min(e.remote.wall, 999_999_999_000_000),
              });
              clock.receive(r);
              const s = clock.now();
              expect(s > r).toBe(true);
              expect(s > last).toBe(true);
              last = s;
            }
          }
        },
      ),
    );
  });

  it('follows the physical clock when it moves forward', () => {
    let t = 1_000;
    const c = new HlcClock('0000000000000001', () => t);
    expect(parseHlc(c.now())).toMatchObject({ wall: 1_000, counter: 0 });
    expect(parseHlc(c.now())).toMatchObject({ wall: 1_000, counter: 1 });
    t = 2_000;
    expect(parseHlc(c.now())).toMatchObject({ wall: 2_000, counter: 0 });
  });

  it('resumes from a persisted stamp', () => {
    const c = new HlcClock(
      '0000000000000001',
      () => 5,
      formatHlc({ wall: 10, counter: 3, node: '0000000000000001' }),
    );
    expect(parseHlc(c.now())).toMatchObject({ wall: 10, counter: 4 });
  });
});
