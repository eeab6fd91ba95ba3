/**
 * Decodes a `db_batch` body as `src-tauri/src/wire.rs` does, into the JSON-like wire values the
 * fake shell records (bigints as `{ $int }`, blobs as `{ $blob }`), so tests read the calls.
 * Written apart from the page's encoder (`src/shell/batch-wire.ts`) so a mistake there shows.
 */
type Wire = null | number | string | { $int: string } | { $blob: number[] };

export interface DecodedBatch {
  db?: number;
  tx: number;
  sql: string;
  /** The WHOLE flag: no savepoint around the rows (only present when set). */
  whole?: true;
  rows: Wire[][];
}

export function decodeBatch(body: Uint8Array): DecodedBatch {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  const u32 = (): number => {
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    const v = view.getBigUint64(pos, true);
    pos += 8;
    return Number(v);
  };
  const bytes = (): Uint8Array => {
    const n = u32();
    if (pos + n > body.length) throw new Error('db_batch body truncated');
    pos += n;
    return body.subarray(pos - n, pos);
  };
  const value = (): Wire => {
    const tag = view.getUint8(pos++);
    if (tag === 0) return null;
    if (tag === 1) {
      const f = view.getFloat64(pos, true);
      pos += 8;
      // As wire.rs: integral numbers within 64 bits are integers (JSON's reading of them).
      return Number.isInteger(f) && Math.abs(f) < 2 ** 63 && !Number.isSafeInteger(f)
        ? { $int: BigInt(f).toString() }
        : f === 0
          ? 0
          : f;
    }
    if (tag === 2) {
      const v = view.getBigInt64(pos, true);
      pos += 8;
      return Number.isSafeInteger(Number(v)) ? Number(v) : { $int: v.toString() };
    }
    if (tag === 3) return utf8.decode(bytes());
    if (tag === 4) return { $blob: [...bytes()] };
    throw new Error(`unknown db_batch value tag ${tag}`);
  };
  if (view.getUint8(pos++) !== 2) throw new Error('db_batch body version is not 2');
  const flags = view.getUint8(pos++);
  if ((flags & ~1) !== 0) throw new Error(`unknown db_batch flags ${flags}`);
  const db = u64();
  const tx = u64();
  const sql = utf8.decode(bytes());
  const rows: Wire[][] = [];
  for (let n = u32(); n > 0; n--) {
    const row: Wire[] = [];
    for (let w = u32(); w > 0; w--) row.push(value());
    rows.push(row);
  }
  if (pos !== body.length) throw new Error(`${body.length - pos} bytes after the last row`);
  return { ...(db === 0 ? {} : { db }), tx, sql, ...(flags & 1 ? { whole: true } : {}), rows };
}
