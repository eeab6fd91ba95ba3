/**
 * The compact sync response (extension `compact: 1`, docs/protocol.md "Compact pages").
 *
 * A client that sends `"compact": 1` in its sync request gets the changes as one group per table:
 * the field names once, then each row as an array `[id, version, ...values]` in that order, with
 * no per-row keys, wrapper or position (the page is applied whole, so the response's `cursor` is
 * all a client needs). Rows the request itself wrote come as acknowledgements: `[id, version,
 * mask, ...values]`, where bit `i` of `mask` set means field `i` holds exactly the value this
 * request's last mutation of that record naming the field sent (see `sentValues`), so it is left
 * out and the client takes its own. Everything else in the response is as in v1.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IDENT_PATTERN } from './ident.ts';
import {
  MutationResult,
  type Change,
  type Mutation,
  type Row,
  type SyncResponse,
} from './schemas.ts';

/** The compact encoding version this build speaks. */
export const COMPACT_VERSION = 1;

/** At most this many fields can be acknowledged by mask (bits of a JSON-safe integer). */
export const MAX_ACK_FIELDS = 30;

const Cursor = Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$', description: 'decimal position' });
const HlcString = Type.String({ description: 'HLC stamp' });

/** One table's rows of a compact page. */
export const CompactTable = Type.Object({
  table: Type.String(),
  /** The fields each row holds after `id` and `version`, in this order. */
  fields: Type.Array(Type.String(), { maxItems: 256 }),
  /** `[id, version, ...values of fields]` */
  rows: Type.Optional(Type.Array(Type.Array(Type.Unknown()))),
  /** `[id, version, mask, ...values of the fields not in mask]` */
  acks: Type.Optional(Type.Array(Type.Array(Type.Unknown()))),
});
export type CompactTable = Static<typeof CompactTable>;

/** The response to a request with `compact: 1`: v1's, with `tables` in place of `changes`. */
export const CompactSyncResponse = Type.Object({
  protocol: Type.Integer(),
  compact: Type.Literal(COMPACT_VERSION),
  results: Type.Array(MutationResult),
  lastMutationSeq: Type.Integer({ minimum: 0 }),
  /** Absent when the page is empty. */
  tables: Type.Optional(Type.Array(CompactTable)),
  cursor: Cursor,
  hasMore: Type.Boolean(),
  serverHlc: HlcString,
  position: Type.Optional(Cursor),
});
export type CompactSyncResponse = Static<typeof CompactSyncResponse>;

const recordKey = (table: string, id: string): string => `${table}\u0000${id}`;

/**
 * Per record a request's mutations touch: the value each field was last sent with (mutations in
 * request order, which is seq order). Server and client compute acknowledgement masks from this.
 */
export class SentValues {
  private readonly byRecord = new Map<string, Map<string, unknown>>();

  constructor(mutations: readonly Pick<Mutation, 'table' | 'id' | 'fields'>[]) {
    for (const m of mutations) {
      const k = recordKey(m.table, m.id);
      let fields = this.byRecord.get(k);
      if (!fields) this.byRecord.set(k, (fields = new Map<string, unknown>()));
      for (const [f, v] of Object.entries(m.fields)) fields.set(f, v);
    }
  }

  /** The fields last sent for a record, or undefined when the request did not touch it. */
  of(table: string, id: string): ReadonlyMap<string, unknown> | undefined {
    return this.byRecord.get(recordKey(table, id));
  }
}

/** A compact response that cannot be read back (the client treats it as a protocol error). */
export class CompactDecodeError extends Error {
  override readonly name = 'CompactDecodeError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function rowHead(a: unknown[], where: string): Row {
  const [id, version] = a;
  if (typeof id !== 'string' || !UUID.test(id))
    throw new CompactDecodeError(`${where}: the id is not a uuid`);
  if (typeof version !== 'number' || !Number.isSafeInteger(version))
    throw new CompactDecodeError(`${where}: the version is not an integer`);
  return { id, version };
}

/**
 * The v1 response a compact one stands for, given the mutations of the request it answers:
 * every row whole, acknowledged fields filled in with what the request sent. Changes carry the
 * response's cursor as their `seq` (a page is applied whole; per-row positions do not travel).
 */
export function decodeCompact(
  res: CompactSyncResponse,
  sent: readonly Pick<Mutation, 'table' | 'id' | 'fields'>[],
): SyncResponse {
  const mine = new SentValues(sent);
  const changes: Change[] = [];
  for (const [g, group] of (res.tables ?? []).entries()) {
    for (const f of group.fields) {
      if (!IDENT_PATTERN.test(f) || f === 'id' || f === 'version' || f === '__proto__')
        throw new CompactDecodeError(`tables/${g}: bad field name ${JSON.stringify(f)}`);
    }
    const n = group.fields.length;
    for (const [i, a] of (group.rows ?? []).entries()) {
      const where = `tables/${g}/rows/${i}`;
      if (a.length !== n + 2) throw new CompactDecodeError(`${where}: ${a.length} values`);
      const row = rowHead(a, where);
      group.fields.forEach((f, k) => (row[f] = a[k + 2]));
      changes.push({ table: group.table, seq: res.cursor, row });
    }
    for (const [i, a] of (group.acks ?? []).entries()) {
      const where = `tables/${g}/acks/${i}`;
      const row = rowHead(a, where);
      const mask = a[2];
      if (typeof mask !== 'number' || !Number.isInteger(mask) || mask <= 0 || mask >= 2 ** n)
        throw new CompactDecodeError(`${where}: bad mask`);
      const own = mine.of(group.table, row.id);
      let next = 3;
      group.fields.forEach((f, k) => {
        if ((mask & (1 << k)) === 0) {
          row[f] = a[next++];
        } else if (own?.has(f) === true) {
          row[f] = own.get(f);
        } else {
          throw new CompactDecodeError(`${where}: ${f} is acknowledged but was not sent`);
        }
      });
      if (next !== a.length) throw new CompactDecodeError(`${where}: ${a.length} values`);
      changes.push({ table: group.table, seq: res.cursor, row });
    }
  }
  const { compact: _compact, tables: _tables, ...rest } = res;
  return { ...rest, changes };
}
