import { Type, type Static } from '@sinclair/typebox';
import { UUID_PATTERN } from './ids.ts';

/**
 * Extension: the history of a row of a table that keeps revisions (one with a text field), at
 * `GET /v1/tables/{table}/{id}/revisions` and `.../revisions/{version}`. See docs/protocol.md.
 */

/** Revisions per page at most, and by default. */
export const HistoryLimits = { maxPage: 500, defaultPage: 50 } as const;

const Meta = {
  /** The row version this revision is. */
  version: Type.Integer({ minimum: 1 }),
  /** When the server accepted it (ISO-8601 UTC). */
  createdAt: Type.String(),
  /** The device (clientId) whose mutation made it; null when the server made it. */
  clientId: Type.Union([Type.String({ pattern: UUID_PATTERN }), Type.Null()]),
  /**
   * The name the device gave at login (`deviceName`), linked to its clientId when it first synced
   * with that login; null when it gave none. Absent from servers before device names.
   */
  deviceName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** True when a text field holds a merge of that mutation with other edits. */
  merged: Type.Boolean(),
  hlc: Type.String(),
};

/** One entry of a history listing (no field values: see `bytes`). */
export const RevisionSummary = Type.Object({
  ...Meta,
  /** Size of the revision's fields as JSON, in bytes. */
  bytes: Type.Integer({ minimum: 0 }),
});
export type RevisionSummary = Static<typeof RevisionSummary>;

/** A page of a row's revisions, newest first. */
export const RevisionList = Type.Object({
  revisions: Type.Array(RevisionSummary),
  /** More, older revisions: ask again with `before` = the last version here. */
  hasMore: Type.Boolean(),
});
export type RevisionList = Static<typeof RevisionList>;

/** One revision with the row's declared fields as they were. */
export const Revision = Type.Object({
  ...Meta,
  fields: Type.Record(Type.String(), Type.Unknown()),
});
export type Revision = Static<typeof Revision>;

/** One device (clientId) of the user, with the name its login gave (`GET /v1/devices`). */
export const DeviceInfo = Type.Object({
  clientId: Type.String({ pattern: UUID_PATTERN }),
  /** The `deviceName` of the login this clientId last synced with; null when it gave none. */
  deviceName: Type.Union([Type.String(), Type.Null()]),
  /** When this clientId first synced (ISO-8601 UTC). */
  createdAt: Type.String(),
});
export type DeviceInfo = Static<typeof DeviceInfo>;

/** Every device of the caller's account (extension: device names, see docs/protocol.md). */
export const DeviceList = Type.Object({ devices: Type.Array(DeviceInfo) });
export type DeviceList = Static<typeof DeviceList>;
