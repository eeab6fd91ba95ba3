/**
 * Protocol versions.
 *
 * Changelog:
 * - 1: push + pull in one `POST /v1/sync`, per-field HLC merge, per-user cursor.
 */
export const PROTOCOL_VERSION = 1;
/** The oldest protocol version a server still serves. */
export const MIN_PROTOCOL_VERSION = 1;
/*
 * The schema version of an app's table declarations is the app's, not the protocol's: it is
 * handed to the engine (`openFerry({ schemaVersion })`) and the server (`createServer({
 * schemaVersion, minSchemaVersion })`). Ferry's own is in ferry-schema.ts.
 */
