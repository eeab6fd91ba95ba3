/**
 * Messages between the page and the database worker (`worker.ts`). Every request carries an id;
 * the worker answers each with the same id, in order, with a value or an error message.
 *
 * A statement with `begin` opens the transaction first (`BEGIN IMMEDIATE`), so a transaction's
 * first statement costs no message of its own; `commit` ends it, and when the commit fails the
 * worker rolls the transaction back before answering, so the next one can begin. A request with
 * `commitFirst` commits the transaction a read left open before anything else (a read has
 * nothing to make durable, so its COMMIT waits for the next request instead of costing a
 * message of its own).
 */
import type { SqlValue } from '@ferry/client';

type Statement =
  | { op: 'exec'; db: number; sql: string }
  | { op: 'run'; db: number; sql: string; params: readonly SqlValue[] }
  | { op: 'all'; db: number; sql: string; params: readonly SqlValue[] }
  | {
      op: 'runMany';
      db: number;
      sql: string;
      rows: readonly (readonly SqlValue[])[];
      /** The caller gives up the transaction if this fails: no savepoint (`abortsTransaction`). */
      whole?: true;
    };

/** A request without its id (the link adds it). */
export type Call =
  | { op: 'open'; file: string }
  | (Statement & { begin?: true; commitFirst?: true })
  | { op: 'commit'; db: number; commitFirst?: true }
  | { op: 'close'; db: number; commitFirst?: true };

export type Request = Call & { id: number };

export type Response =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
