/**
 * The types that make `ferry.tables.<name>` typed: each table's store carries the row, create and
 * update types `defineTable` inferred from its declaration.
 */
import type { TableDecl, TableTypes } from '@ferry/protocol';
import type { LocalRow } from './rows.ts';
import type { TableStore } from './store.ts';

/** The store of one declared table: typed when it was made by `defineTable`, else untyped. */
export type StoreOf<D extends TableDecl> = D extends {
  readonly '~types'?: TableTypes<
    infer R extends { id: string },
    infer C extends object,
    infer P extends object
  >;
}
  ? TableStore<R, C, P>
  : TableStore<LocalRow>;

/** The app's tables by name. */
export type TablesOf<T extends readonly TableDecl[]> = {
  readonly [D in T[number] as D['name']]: StoreOf<D>;
};
