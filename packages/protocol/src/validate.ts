import type { TableDecl } from './tables.ts';

/** Why a mutation's fields are not acceptable. */
export interface FieldProblem {
  readonly code: 'unknown_field' | 'server_field' | 'invalid_value' | 'too_large' | 'missing_field';
  readonly message: string;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Days in `month` (1..12) of `year`, by the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * True for an ISO-8601 UTC timestamp of an instant that exists, such as
 * `2026-02-17T10:00:00.000Z`. `Date.parse` alone is not enough: it reads `2025-02-30` as March 2
 * and `24:00:00` as the next day.
 */
export function isIsoUtc(s: string): boolean {
  const m = ISO_UTC.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  return hour <= 23 && minute <= 59 && second <= 59;
}

/** Client input quoted in a message is cut to this many characters (code points). */
export const ECHO_MAX_CHARS = 64;

/** `s` as a message may quote it: at most `ECHO_MAX_CHARS` code points, then `…`. */
export function clipInput(s: string): string {
  let points = 0;
  let units = 0;
  for (const ch of s) {
    if (points === ECHO_MAX_CHARS) return `${s.slice(0, units)}…`;
    points++;
    units += ch.length;
  }
  return s;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The length of `s` in code points (characters), not UTF-16 units: `'😀'` is 1. */
export function codePointCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Checks a mutation's `fields` against the table declaration. Returns the first problem, or
 * `null` when every field is declared, client-written and valid.
 */
export function checkFields(
  table: TableDecl,
  fields: Readonly<Record<string, unknown>>,
): FieldProblem | null {
  for (const [name, value] of Object.entries(fields)) {
    const decl = Object.hasOwn(table.fields, name) ? table.fields[name] : undefined;
    if (!decl) {
      return { code: 'unknown_field', message: `${table.name} has no field "${clipInput(name)}"` };
    }
    if (decl.writtenBy !== 'client') {
      return { code: 'server_field', message: `"${name}" is written by the server only` };
    }
    if (value === null) {
      if (decl.nullable) continue;
      return { code: 'invalid_value', message: `"${name}" cannot be null` };
    }
    switch (decl.type) {
      case 'text':
        if (typeof value !== 'string')
          return { code: 'invalid_value', message: `"${name}" must be a string` };
        if (
          decl.maxChars !== undefined &&
          value.length > decl.maxChars &&
          codePointCount(value) > decl.maxChars
        ) {
          return {
            code: 'too_large',
            message: `"${name}" is longer than ${decl.maxChars} characters`,
          };
        }
        if (
          decl.maxBytes !== undefined &&
          value.length > decl.maxBytes / 4 &&
          utf8Length(value) > decl.maxBytes
        ) {
          return {
            code: 'too_large',
            message: `"${name}" is larger than ${decl.maxBytes} bytes of UTF-8`,
          };
        }
        break;
      case 'timestamp':
        if (typeof value !== 'string' || !isIsoUtc(value)) {
          return { code: 'invalid_value', message: `"${name}" must be an ISO-8601 UTC timestamp` };
        }
        break;
      case 'integer':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
          return { code: 'invalid_value', message: `"${name}" must be an integer` };
        }
        break;
      case 'uuid':
        if (
          typeof value !== 'string' ||
          !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
        ) {
          return { code: 'invalid_value', message: `"${name}" must be a lowercase UUID` };
        }
        break;
    }
  }
  return null;
}

/** The first field a new row needs but `fields` lacks, or `null`. */
export function missingOnCreate(
  table: TableDecl,
  fields: Readonly<Record<string, unknown>>,
): string | null {
  for (const [name, decl] of Object.entries(table.fields)) {
    if (decl.requiredOnCreate && !(name in fields)) return name;
  }
  return null;
}
