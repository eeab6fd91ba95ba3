/**
 * `defineTable`: how an app declares a synced table. It adds the fields every synced table needs
 * (the server's `version`, the soft-delete field, the timestamps the app names by role), checks
 * the declaration (a mistake throws `TableDeclError` naming the table and the field), and carries
 * the row types inferred from it, so `ferry.tables.todos.create({...})` is checked by the compiler.
 */
import { TableDeclError, checkTable } from './check-tables.ts';
import {
  ConflictPolicy,
  FieldType,
  VERSION_FIELD,
  type FieldDecl,
  type MergePolicy,
  type TableDecl,
} from './tables.ts';

/** One field as an app declares it. */
export interface FieldSpec {
  readonly type: FieldType;
  /** `null` is a valid value (and a create may leave the field out: it is null). */
  readonly nullable?: boolean;
  /** The value a create fills in when the app leaves the field out. */
  readonly default?: string | number | null;
  /** Limit in characters (code points); text only. */
  readonly maxChars?: number;
  /** Limit in bytes of UTF-8; text only. */
  readonly maxBytes?: number;
  /** How concurrent writes combine: `lww` (default) or `text` (three-way merge; text only). */
  readonly merge?: MergePolicy;
  /** Schema evolution seam: the app schema version that added this field (see `FieldDecl.since`). */
  readonly since?: number;
  /** The app schema version that added this field's `merge` policy. */
  readonly mergeSince?: number;
  /** `server`: written only by the server (engine tables); apps leave it out. */
  readonly writtenBy?: 'client' | 'server';
}

/** The timestamps of a table, named by role. */
export interface TimestampSpec {
  /** The creation time's field, filled in by a local create. */
  readonly createdAt?: string;
  /** The modification time's field, set by every local create and update; lists sort by it. */
  readonly updatedAt?: string;
  /** The soft-delete field (`remove`/`restore` set and clear it); `deleted_at` when absent. */
  readonly deletedAt?: string;
}

/** A table as an app declares it (its name is `defineTable`'s first argument). */
export interface TableSpec<F extends Readonly<Record<string, FieldSpec>>> {
  /** The app's own fields, in column order; `id`, `version` and the timestamps are added. */
  readonly fields: F;
  readonly timestamps?: TimestampSpec;
  /** Fields a local text search looks in (text fields). */
  readonly search?: readonly (keyof F & string)[];
  /** How the table resolves concurrent writes; `lww` when absent. */
  readonly policy?: ConflictPolicy;
  /** Schema evolution seam: the app schema version that added the table. */
  readonly since?: number;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of a field's values. */
export type ValueOf<S extends FieldSpec> =
  (S['type'] extends 'integer' ? number : string) | (S['nullable'] extends true ? null : never);

type ClientKeys<F> = {
  [K in keyof F]: F[K] extends { readonly writtenBy: 'server' } ? never : K;
}[keyof F];
/** Client fields a create may leave out: nullable or defaulted. */
type OptionalKeys<F> = {
  [K in ClientKeys<F>]: F[K] extends { readonly nullable: true } | { readonly default: unknown }
    ? K
    : never;
}[ClientKeys<F>];
type RequiredKeys<F> = Exclude<ClientKeys<F>, OptionalKeys<F>>;

type TimestampName<T, Role extends keyof TimestampSpec> = T extends {
  readonly [R in Role]: infer N extends string;
}
  ? N
  : never;
type DeletedName<T> = T extends { readonly deletedAt: infer N extends string } ? N : 'deleted_at';
type Stamps<T> = TimestampName<T, 'createdAt'> | TimestampName<T, 'updatedAt'>;

/** A row as the engine returns it: the declared fields, the timestamps, id, version and synced. */
export type RowType<F extends Readonly<Record<string, FieldSpec>>, T> = Simplify<
  { id: string; version: number; synced: number } & { -readonly [K in keyof F]: ValueOf<F[K]> } & {
    [K in Stamps<T>]: string;
  } & { [K in DeletedName<T>]: string | null }
>;

/** What a create takes: every required field; nullable, defaulted and timestamp fields optional. */
export type CreateType<F extends Readonly<Record<string, FieldSpec>>, T> = Simplify<
  { [K in RequiredKeys<F>]: ValueOf<F[K]> } & { [K in OptionalKeys<F>]?: ValueOf<F[K]> } & {
    [K in Stamps<T>]?: string;
  }
>;

/** What an update takes: any client field (`undefined` leaves it as it is). */
export type PatchType<F extends Readonly<Record<string, FieldSpec>>, T> = Simplify<
  { [K in ClientKeys<F>]?: ValueOf<F[K]> | undefined } & { [K in Stamps<T>]?: string | undefined }
>;

/** The row types a typed table carries (type-level only; never present at run time). */
export interface TableTypes<Row = unknown, Create = unknown, Patch = unknown> {
  readonly row: Row;
  readonly create: Create;
  readonly patch: Patch;
}

/** A checked table declaration that knows its name and row types. */
export interface Table<
  N extends string = string,
  Ty extends TableTypes = TableTypes,
> extends TableDecl {
  readonly name: N;
  /** Phantom: the row types, for the compiler only. */
  readonly '~types'?: Ty;
}

/** The row type of a table made by `defineTable`. */
export type RowOf<T> = T extends { readonly '~types'?: TableTypes<infer R, unknown, unknown> }
  ? R
  : never;

const DEFAULT_DELETED = 'deleted_at';

function fieldDecl(spec: FieldSpec): FieldDecl {
  const writtenBy = spec.writtenBy ?? 'client';
  const { writtenBy: _w, ...rest } = spec;
  return {
    ...rest,
    writtenBy,
    ...(writtenBy === 'client' && !spec.nullable ? { requiredOnCreate: true } : {}),
  };
}

/**
 * Declares a synced table: the app's fields, then the timestamps by role, the soft-delete field
 * and the server's `version`. Throws `TableDeclError` (naming the table and the field) when the
 * declaration is not one the engine can sync.
 */
export function defineTable<
  const N extends string,
  const F extends Readonly<Record<string, FieldSpec>>,
  const T extends TimestampSpec = Record<never, never>,
>(
  name: N,
  spec: TableSpec<F> & { readonly timestamps?: T },
): Table<N, TableTypes<RowType<F, T>, CreateType<F, T>, PatchType<F, T>>> {
  const fields: Record<string, FieldDecl> = {};
  const add = (field: string, decl: FieldDecl): void => {
    if (Object.hasOwn(fields, field))
      throw new TableDeclError(name, field, 'is declared twice (as a field and as a role)');
    fields[field] = decl;
  };
  for (const [field, f] of Object.entries(spec.fields)) add(field, fieldDecl(f));
  const ts: TimestampSpec = spec.timestamps ?? {};
  const stamp: FieldDecl = {
    type: FieldType.timestamp,
    writtenBy: 'client',
    requiredOnCreate: true,
  };
  if (ts.createdAt !== undefined) add(ts.createdAt, stamp);
  if (ts.updatedAt !== undefined) add(ts.updatedAt, stamp);
  const deletedField = ts.deletedAt ?? DEFAULT_DELETED;
  add(deletedField, { type: FieldType.timestamp, writtenBy: 'client', nullable: true });
  add(VERSION_FIELD, { type: FieldType.integer, writtenBy: 'server' });
  const table: TableDecl = {
    name,
    policy: spec.policy ?? ConflictPolicy.lww,
    searchFields: spec.search ?? [],
    deletedField,
    fields,
    ...(ts.createdAt !== undefined || ts.updatedAt !== undefined
      ? {
          timestamps: {
            ...(ts.createdAt !== undefined ? { createdAt: ts.createdAt } : {}),
            ...(ts.updatedAt !== undefined ? { updatedAt: ts.updatedAt } : {}),
          },
        }
      : {}),
    ...(spec.since !== undefined ? { sinceSchemaVersion: spec.since } : {}),
  };
  checkTable(table);
  return table as Table<N, TableTypes<RowType<F, T>, CreateType<F, T>, PatchType<F, T>>>;
}
