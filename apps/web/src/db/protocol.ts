/**
 * Messages between the page and the database worker (`worker.ts`). Every request carries an id;
 * the worker answers each with the same id, in order, with a value or an error message.
 */
import type { SqlValue } from '@ferry/client';

export type Request =
  | { id: number; op: 'open'; file: string }
  | { id: number; op: 'exec'; db: number; sql: string }
  | { id: number; op: 'run'; db: number; sql: string; params: readonly SqlValue[] }
  | { id: number; op: 'all'; db: number; sql: string; params: readonly SqlValue[] }
  | { id: number; op: 'runMany'; db: number; sql: string; rows: readonly (readonly SqlValue[])[] }
  | { id: number; op: 'close'; db: number };

/** A request without its id (the link adds it). */
export type Call = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

export type Response =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
