import { keepsRevisions, textFields, type TableDecl } from '@ferry/protocol';

/**
 * `textFields` and `keepsRevisions` of a declaration, worked out once: a push asks them several
 * times per mutation, and each call filters the table's fields again. Declarations never change.
 */
const memo = new WeakMap<TableDecl, { texts: readonly string[]; revisions: boolean }>();

function of(t: TableDecl): { texts: readonly string[]; revisions: boolean } {
  let m = memo.get(t);
  if (m === undefined) memo.set(t, (m = { texts: textFields(t), revisions: keepsRevisions(t) }));
  return m;
}

/** `textFields(t)`, memoized. */
export const textFieldsOf = (t: TableDecl): readonly string[] => of(t).texts;

/** `keepsRevisions(t)`, memoized. */
export const keepsRevisionsOf = (t: TableDecl): boolean => of(t).revisions;
