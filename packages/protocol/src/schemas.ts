import { Type, type Static } from '@sinclair/typebox';
import { HLC_PATTERN } from './hlc.ts';
import { UUID_PATTERN } from './ids.ts';
import { Limits } from './limits.ts';
import { SessionMode } from './session.ts';

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'lowercase canonical UUID' });
const HlcString = Type.String({ pattern: HLC_PATTERN, description: 'HLC stamp' });
/** A decimal string position in the user's change sequence. */
const Cursor = Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$', description: 'decimal position' });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const MutationOp = Type.Union([Type.Literal('upsert'), Type.Literal('delete')]);
export type MutationOp = Static<typeof MutationOp>;

/** One queued local change. `fields` holds only the changed fields; they are checked per mutation. */
export const Mutation = Type.Object({
  seq: Seq,
  table: Type.String({ minLength: 1, maxLength: 64 }),
  id: Uuid,
  op: MutationOp,
  fields: Type.Record(Type.String(), Type.Unknown()),
  hlc: HlcString,
  baseVersion: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /**
   * Extension (text merge): the mutation's text fields were edited on the text this client sent
   * in its own earlier mutation `baseSeq` (which may not be acknowledged yet), not on the text of
   * `baseVersion`. See docs/protocol.md.
   */
  baseSeq: Type.Optional(Seq),
});
export type Mutation = Static<typeof Mutation>;

export const SyncRequest = Type.Object({
  protocol: Type.Integer(),
  clientId: Uuid,
  schemaVersion: Type.Integer(),
  cursor: Cursor,
  mutations: Type.Array(Mutation, { maxItems: Limits.maxMutationsPerRequest }),
  pullLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.maxPullLimit })),
  /**
   * Extension: the client can take a fresh clientId. A reused (clientId, seq) is then answered
   * with `409 client_id_reused` instead of a per-mutation `rejected` result.
   */
  clientReset: Type.Optional(Type.Boolean()),
  /**
   * Extension: the client reads compact pages (compact.ts) of this encoding version or below;
   * the response then carries `compact` and `tables` instead of `changes`.
   */
  compact: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * Extension: at most this many changes a page, in place of `pullLimit` (which a server without
   * the extension still reads, so a client sends both). Pages stay bounded in bytes as well.
   */
  pageLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.maxPageLimit })),
});
export type SyncRequest = Static<typeof SyncRequest>;

/** A row as it travels: the declared fields, `id` and the server's `version`. */
export const Row = Type.Intersect([
  Type.Object({ id: Uuid, version: Type.Integer() }),
  Type.Record(Type.String(), Type.Unknown()),
]);
export type Row = Static<typeof Row>;

export const ResultStatus = {
  applied: 'applied',
  superseded: 'superseded',
  duplicate: 'duplicate',
  conflict: 'conflict',
  rejected: 'rejected',
} as const;
export type ResultStatus = (typeof ResultStatus)[keyof typeof ResultStatus];

const clockAdjusted = Type.Optional(Type.Boolean());
/** Extension: the server merged a text field, so the row differs from what was sent; pull it. */
const merged = Type.Optional(Type.Boolean());
export const MutationResult = Type.Union([
  Type.Object({
    seq: Seq,
    status: Type.Literal('applied'),
    version: Type.Integer(),
    clockAdjusted,
    merged,
  }),
  Type.Object({
    seq: Seq,
    status: Type.Literal('superseded'),
    version: Type.Optional(Type.Integer()),
    clockAdjusted,
  }),
  Type.Object({ seq: Seq, status: Type.Literal('duplicate') }),
  Type.Object({ seq: Seq, status: Type.Literal('conflict'), row: Type.Union([Row, Type.Null()]) }),
  Type.Object({
    seq: Seq,
    status: Type.Literal('rejected'),
    code: Type.String(),
    message: Type.String(),
  }),
]);
export type MutationResult = Static<typeof MutationResult>;

export const Change = Type.Object({ table: Type.String(), seq: Cursor, row: Row });
export type Change = Static<typeof Change>;

export const SyncResponse = Type.Object({
  protocol: Type.Integer(),
  results: Type.Array(MutationResult),
  lastMutationSeq: Type.Integer({ minimum: 0 }),
  changes: Type.Array(Change),
  cursor: Cursor,
  hasMore: Type.Boolean(),
  serverHlc: HlcString,
  /**
   * Extension (docs/protocol.md): the user's latest change position when this response was made.
   * `position − cursor` is how many changes are still ahead of the client (an upper bound on the
   * rows it has yet to pull: a row written twice since the cursor counts twice).
   */
  position: Type.Optional(Cursor),
});
export type SyncResponse = Static<typeof SyncResponse>;

const Email = Type.String({
  minLength: 3,
  maxLength: Limits.maxEmailLength,
  pattern: '^[^\\s@]+@[^\\s@]+$',
});
const Password = Type.String({ maxLength: Limits.maxPasswordLength });
/** A new password's length, in code points: JSON Schema counts characters, as `codePointCount` does. */
const NewPassword = Type.String({
  minLength: Limits.minPasswordLength,
  maxLength: Limits.maxPasswordLength,
});

export const SignupRequest = Type.Object({
  email: Email,
  password: NewPassword,
  session: SessionMode,
  /** Extension: names the device, as at login (docs/protocol.md, "Device names"). */
  deviceName: Type.Optional(Type.String({ maxLength: 200 })),
});
export type SignupRequest = Static<typeof SignupRequest>;
export const LoginRequest = Type.Object({
  email: Email,
  password: Password,
  deviceName: Type.Optional(Type.String({ maxLength: 200 })),
  session: SessionMode,
});
export type LoginRequest = Static<typeof LoginRequest>;
export const AuthResponse = Type.Object({ userId: Uuid, token: Type.String() });
export type AuthResponse = Static<typeof AuthResponse>;
export const MeResponse = Type.Object({ userId: Uuid, email: Type.String() });
export type MeResponse = Static<typeof MeResponse>;
/** The `data` of an SSE `poke` event. */
export const PokeEvent = Type.Object({ cursor: Cursor });
export type PokeEvent = Static<typeof PokeEvent>;
