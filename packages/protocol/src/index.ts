/**
 * The contract between Ferry's engine and server: the app's table declarations
 * ({@link defineTable}), the wire messages as TypeBox schemas, the hybrid logical clock
 * ({@link HlcClock}), the SQLite and PostgreSQL DDL made from the declarations, and the text merge.
 *
 * @module @ferry/protocol
 */
export * from './version.ts';
export * from './ids.ts';
export * from './ident.ts';
export * from './hlc.ts';
export * from './tables.ts';
export * from './define-table.ts';
export * from './check-tables.ts';
export * from './engine-tables.ts';
export * from './ferry-schema.ts';
export * from './validate.ts';
export * from './ddl.ts';
export * from './limits.ts';
export * from './errors.ts';
export * from './schemas.ts';
export * from './session.ts';
export * from './compact.ts';
export * from './text-merge.ts';
export * from './history.ts';
export * from './schema-evolution.ts';
