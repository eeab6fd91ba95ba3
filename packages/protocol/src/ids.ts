import { randomBytes } from '@noble/hashes/utils';

/** Lowercase canonical RFC 9562 UUID. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const uuidRe = new RegExp(UUID_PATTERN);

/** True when `s` is a lowercase canonical UUID. */
export function isUuid(s: string): boolean {
  return uuidRe.test(s);
}

/** Random bytes drawn from the CSPRNG in blocks: one call per id cost more than the rest of the id. */
const POOL_BYTES = 4096;
let pool: Uint8Array = new Uint8Array(0);
let poolAt = 0;
function random16(): Uint8Array {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + 16);
  poolAt += 16;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A new UUIDv7 (time-ordered), from `nowMs` and random bits. */
export function uuidv7(nowMs: number = Date.now()): string {
  const b = random16();
  let ms = Math.floor(nowMs);
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let h = '';
  for (let i = 0; i < 16; i++) h += HEX[b[i]!]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
