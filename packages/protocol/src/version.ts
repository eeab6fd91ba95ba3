/**
 * Protocol versions.
 *
 * Changelog:
 * - 1: push + pull in one `POST /v1/sync`, per-field HLC merge, per-user cursor.
 */
export const PROTOCOL_VERSION = 1;
/** The oldest protocol version a server still serves. */
export const MIN_PROTOCOL_VERSION = 1;
/**
 * Version of the table declarations (`tables.ts`). Bump when a declared table or field changes.
 *
 * Changelog:
 * - 1: `notes` with the seed's columns.
 * - 2: `notes.content` merges as text; the server-written `text_conflicts` table. A client of
 *   schema 1 is still served: it is never sent `text_conflicts` rows (see `servedTo`).
 */
export const SCHEMA_VERSION = 2;
/** The oldest schema version a server still serves. */
export const MIN_SCHEMA_VERSION = 1;
