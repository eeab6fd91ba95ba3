import { randomBytes } from '@noble/hashes/utils';

declare const brand: unique symbol;
/** A nominal type: a string that cannot be swapped for another kind of id by mistake. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A synced record's id (lowercase canonical UUID, made by the client). */
export type RecordId = Brand<string, 'RecordId'>;
/** One local database's id (UUID, made once). */
export type ClientId = Brand<string, 'ClientId'>;
/** A server-side user id. */
export type UserId = Brand<string, 'UserId'>;

/** Lowercase canonical RFC 9562 UUID. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const uuidRe = new RegExp(UUID_PATTERN);

/** True when `s` is a lowercase canonical UUID. */
export function isUuid(s: string): boolean {
  return uuidRe.test(s);
}

/** A new UUIDv7 (time-ordered), from `nowMs` and random bits. */
export function uuidv7(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  const ms = BigInt(Math.floor(nowMs));
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
