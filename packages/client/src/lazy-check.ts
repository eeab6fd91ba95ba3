import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** The part of a compiled TypeBox check the engine uses. */
export interface Check<T extends TSchema> {
  Check(value: unknown): value is Static<T>;
  Errors(value: unknown): ReturnType<TypeCheck<T>['Errors']>;
}

/**
 * A check of `schema`, compiled when it is first used rather than when its module is imported:
 * compiling every response schema at import cost each CLI command ~40 ms of start-up, even
 * `ferry --version`, which checks nothing.
 */
export function lazyCheck<T extends TSchema>(schema: T): Check<T> {
  let compiled: TypeCheck<T> | undefined;
  const get = (): TypeCheck<T> => (compiled ??= TypeCompiler.Compile(schema));
  return {
    Check: (value): value is Static<T> => get().Check(value),
    Errors: (value) => get().Errors(value),
  };
}
