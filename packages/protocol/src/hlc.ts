import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/**
 * Hybrid logical clock stamps: `WWWWWWWWWWWWWWW-CCCCC-NNNNNNNNNNNNNNNN` (38 characters).
 * W = wall milliseconds (15 digits), C = counter (5 digits), N = node (16 hex digits).
 * String order is causal-then-node order, so stamps compare with `<`.
 */
export type Hlc = string & { readonly __hlc: true };

export const HLC_PATTERN = '^[0-9]{15}-[0-9]{5}-[0-9a-f]{16}$';
const hlcRe = new RegExp(HLC_PATTERN);
const MAX_COUNTER = 99_999;
const MAX_WALL = 999_999_999_999_999;

/** The parts of a stamp. */
export interface HlcParts {
  readonly wall: number;
  readonly counter: number;
  readonly node: string;
}

/** True when `s` is a well-formed stamp. */
export function isHlc(s: string): s is Hlc {
  return hlcRe.test(s);
}

/** Formats parts into a stamp. */
export function formatHlc(p: HlcParts): Hlc {
  if (!Number.isInteger(p.wall) || p.wall < 0 || p.wall > MAX_WALL)
    throw new RangeError(`HLC wall out of range: ${p.wall}`);
  if (!Number.isInteger(p.counter) || p.counter < 0 || p.counter > MAX_COUNTER)
    throw new RangeError(`HLC counter out of range: ${p.counter}`);
  if (!/^[0-9a-f]{16}$/.test(p.node))
    throw new RangeError(`HLC node must be 16 hex digits: ${p.node}`);
  return `${String(p.wall).padStart(15, '0')}-${String(p.counter).padStart(5, '0')}-${p.node}` as Hlc;
}

/** Parses a stamp; throws on a malformed one. */
export function parseHlc(s: string): HlcParts {
  if (!isHlc(s)) throw new RangeError(`malformed HLC: ${JSON.stringify(s)}`);
  return { wall: Number(s.slice(0, 15)), counter: Number(s.slice(16, 21)), node: s.slice(22) };
}

/** The node part for a client or server id: the first 16 hex digits of its SHA-256. */
export function hlcNode(id: string): string {
  return bytesToHex(sha256(utf8ToBytes(id))).slice(0, 16);
}

/** The smallest stamp, below every real one. */
export const HLC_ZERO = '000000000000000-00000-0000000000000000' as Hlc;

/**
 * One node's clock. `now()` gives the stamp for a local event (send rule); `receive()` folds in
 * a stamp seen from elsewhere (receive rule). Every stamp it makes is greater than every stamp it
 * has made or received.
 */
export class HlcClock {
  private wall: number;
  private counter: number;

  constructor(
    readonly node: string,
    private readonly physicalNow: () => number = Date.now,
    last?: Hlc,
  ) {
    const p = last ? parseHlc(last) : { wall: 0, counter: 0 };
    this.wall = p.wall;
    this.counter = p.counter;
  }

  /** The last stamp made or received (for persisting the clock). */
  last(): Hlc {
    return formatHlc({ wall: this.wall, counter: this.counter, node: this.node });
  }

  /** A fresh stamp for a local event. */
  now(): Hlc {
    const pt = Math.floor(this.physicalNow());
    if (pt > this.wall) {
      this.wall = pt;
      this.counter = 0;
    } else {
      this.bump();
    }
    return this.last();
  }

  /** Folds in a remote stamp, so later local stamps are greater than it. */
  receive(remote: Hlc): void {
    const r = parseHlc(remote);
    const pt = Math.floor(this.physicalNow());
    const wall = Math.max(this.wall, r.wall, pt);
    if (wall === this.wall && wall === r.wall) {
      this.counter = Math.max(this.counter, r.counter);
      this.bump();
    } else if (wall === this.wall) {
      this.bump();
    } else if (wall === r.wall) {
      this.wall = wall;
      this.counter = r.counter;
      this.bump();
    } else {
      this.wall = wall;
      this.counter = 0;
    }
  }

  private bump(): void {
    if (this.counter >= MAX_COUNTER) {
      // Counter exhausted: borrow a millisecond rather than break monotonicity.
      this.wall += 1;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
  }
}
