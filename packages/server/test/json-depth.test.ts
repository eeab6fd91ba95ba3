import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsWithin } from '../src/http/json-body.ts';

const within = (text: string, max = MAX_JSON_DEPTH): boolean => nestsWithin(Buffer.from(text), max);

describe('nestsWithin', () => {
  it('counts arrays and objects alike, up to the limit and not one more', () => {
    expect(within('['.repeat(16) + ']'.repeat(16))).toBe(true);
    expect(within('['.repeat(17) + ']'.repeat(17))).toBe(false);
    expect(within('{"a":'.repeat(16) + '1' + '}'.repeat(16))).toBe(true);
    expect(within('{"a":['.repeat(9) + '1' + ']}'.repeat(9))).toBe(false);
    expect(within('[[],[],[[]]]', 3)).toBe(true);
    expect(within('[[],[],[[[]]]]', 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(within(`{"a":"${'['.repeat(100)}"}`, 1)).toBe(true);
    expect(within(String.raw`{"a":"\"[[[[","b":"\\"}`, 1)).toBe(true);
    expect(within(String.raw`["\\",[[]]]`, 2)).toBe(false);
    expect(within(String.raw`["\\\"[[",1]`, 1)).toBe(true);
    expect(within('{"é[":"日本[[[","k":[1]}', 2)).toBe(true);
  });

  it('stops at the first bracket too deep, however long the body', () => {
    const body = Buffer.from('['.repeat(4_000_000) + ']'.repeat(4_000_000));
    expect(nestsWithin(body, MAX_JSON_DEPTH)).toBe(false);
  });

  it('leaves malformed text to JSON.parse', () => {
    expect(within('"unterminated [[[[', 1)).toBe(true);
    expect(within(']]]]', 1)).toBe(true);
  });
});
