import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../src/auth/email.ts';

describe('normalizeEmail', () => {
  it('maps width, composition and case variants to one key', () => {
    const key = normalizeEmail('İx@example.com');
    expect(key).toBe('i\u0307x@example.com');
    for (const v of [
      'i\u0307x@example.com',
      'I\u0307X@EXAMPLE.COM',
      'ｉ\u0307ｘ@ｅｘａｍｐｌｅ.ｃｏｍ',
      ' İX@Example.Com ',
    ])
      expect(normalizeEmail(v), v).toBe(key);
  });

  it('keeps different letters apart (dotless ı, Cyrillic а)', () => {
    expect(normalizeEmail('ıx@example.com')).not.toBe(normalizeEmail('ix@example.com'));
    expect(normalizeEmail('\u0430x@example.com')).not.toBe(normalizeEmail('ax@example.com'));
  });

  it('is stable: the normal form of a normal form is itself, for every code point', () => {
    const unstable: string[] = [];
    for (let cp = 0; cp <= 0x2ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `a${String.fromCodePoint(cp)}b@x`;
      const once = normalizeEmail(s);
      if (normalizeEmail(once) !== once) unstable.push(cp.toString(16));
    }
    expect(unstable).toEqual([]);
  });
});
