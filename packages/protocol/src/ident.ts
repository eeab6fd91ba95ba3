/**
 * SQL identifiers made from table declarations (table and field names), for SQLite on the device
 * and PostgreSQL on the server alike: the one place that says which names are safe and quotes them.
 */

/** A declared name: lowercase letters, digits and `_`, not starting with a digit. */
export const IDENT_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** Quotes a declared name for SQL; a name outside `IDENT_PATTERN` throws (it never reaches SQL). */
export function quoteIdent(ident: string): string {
  if (!IDENT_PATTERN.test(ident)) throw new Error(`bad identifier: ${ident}`);
  return `"${ident}"`;
}
