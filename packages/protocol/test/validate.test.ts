import { describe, expect, it } from 'vitest';
import { checkFields, clipInput, isIsoUtc, notes } from '../src/index.ts';

describe('isIsoUtc', () => {
  it('accepts real instants, leap days included', () => {
    for (const s of [
      '2026-02-17T10:00:00.000Z',
      '2024-02-29T23:59:59Z',
      '2000-02-29T00:00:00.123456789Z',
      '2025-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00Z',
    ])
      expect(isIsoUtc(s), s).toBe(true);
  });

  it('refuses dates and times that do not exist', () => {
    for (const s of [
      '2025-02-30T00:00:00.000Z',
      '2025-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2025-04-31T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-00-10T00:00:00Z',
      '2025-01-00T00:00:00Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T23:60:00Z',
      '2025-01-01T23:59:60Z',
      '2025-01-01 00:00:00Z',
      '2025-01-01T00:00:00+01:00',
    ])
      expect(isIsoUtc(s), s).toBe(false);
  });

  it('rejects an impossible date in a mutation', () => {
    const p = checkFields(notes, { created_at: '2025-02-30T00:00:00.000Z' });
    expect(p?.code).toBe('invalid_value');
  });
});

describe('messages quote client input briefly', () => {
  it('cuts an unknown field name', () => {
    const name = 'f'.repeat(100_000);
    const p = checkFields(notes, { [name]: 1 });
    expect(p?.code).toBe('unknown_field');
    expect(p!.message.length).toBeLessThan(120);
  });

  it('clipInput keeps short strings and cuts long ones on a code point', () => {
    expect(clipInput('title')).toBe('title');
    const cut = clipInput('😀'.repeat(100));
    expect(Array.from(cut)).toHaveLength(65);
    expect(cut.endsWith('…')).toBe(true);
  });
});
