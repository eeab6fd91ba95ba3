import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from '../src/index.ts';

describe('uuidv7', () => {
  it('puts the milliseconds in the first 48 bits, big-endian, with version 7 and the RFC variant', () => {
    const ms = 0x0193_a1c3_4d5e; // 2024-12
    const id = uuidv7(ms);
    expect(id.slice(0, 13)).toBe('0193a1c3-4d5e');
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    expect(isUuid(id)).toBe(true);
    expect(uuidv7(2 ** 48 - 1).slice(0, 13)).toBe('ffffffff-ffff');
    expect(uuidv7(0).slice(0, 13)).toBe('00000000-0000');
  });

  it('draws fresh random bits for every id, across refills of its random pool', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(20))).size).toBe(ids.length);
  });
});
