/**
 * The compact binary body of `db_batch` (layout in `src-tauri/src/wire.rs`, which decodes it): a
 * page of pulled rows crosses IPC as one raw body, with no JSON text written here and no JSON
 * parsed in the shell.
 */
import type { SqlValue } from '@ferry/client';

export const WIRE_VERSION = 2;
/** Flag bit: the caller gives up the whole transaction if the batch fails (no savepoint). */
export const WHOLE = 1;
export const Tag = { null: 0, number: 1, bigint: 2, text: 3, blob: 4 } as const;

const utf8 = new TextEncoder();
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A growing little-endian byte buffer. */
class Writer {
  private buf = new Uint8Array(64 * 1024);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** A non-negative safe integer as a u64. */
  u64(v: number): void {
    this.room(8);
    this.view.setUint32(this.pos, v % 2 ** 32, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 2 ** 32), true);
    this.pos += 8;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.room(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  /** u32 byte length, then the UTF-8 bytes. */
  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(4 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function value(w: Writer, v: SqlValue): void {
  if (v === null) w.u8(Tag.null);
  else if (typeof v === 'string') {
    w.u8(Tag.text);
    w.text(v);
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`cannot bind ${v} to SQLite`);
    w.u8(Tag.number);
    w.f64(v);
  } else if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${v} does not fit SQLite's 64 bits`);
    w.u8(Tag.bigint);
    w.i64(v);
  } else {
    w.u8(Tag.blob);
    w.bytes(v);
  }
}

/**
 * The body of one `db_batch` call: `sql` once per row of `rows` in transaction `tx` of `db`;
 * `whole` when the caller gives up the transaction if it fails (`RunManyOptions.abortsTransaction`).
 */
export function encodeBatch(
  db: number | undefined,
  tx: number,
  sql: string,
  rows: readonly (readonly SqlValue[])[],
  whole = false,
): Uint8Array {
  const w = new Writer();
  w.u8(WIRE_VERSION);
  w.u8(whole ? WHOLE : 0);
  w.u64(db ?? 0);
  w.u64(tx);
  w.text(sql);
  w.u32(rows.length);
  for (const row of rows) {
    w.u32(row.length);
    for (const v of row) value(w, v);
  }
  return w.done();
}
