/**
 * Stands in for `@sinclair/typebox/compiler` in the app bundles (desktop and web) (a Vite alias). The engine
 * validates server responses with `TypeCompiler.Compile(schema).Check(value)`; the real compiler
 * builds its checks with `new Function`, which the app's CSP forbids (no 'unsafe-eval'). The same
 * checks through `Value.Check` need no code generation. Node (CLI, tests) keeps the compiler.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The subset of TypeBox's compiled check the engine uses. */
export interface CheckLike<T extends TSchema> {
  Check(value: unknown): value is Static<T>;
  Errors(value: unknown): ReturnType<typeof Value.Errors>;
}

export const TypeCompiler = {
  /** Returns an interpreted checker with the compiled checker's `Check` and `Errors`. */
  Compile<T extends TSchema>(schema: T): CheckLike<T> {
    return {
      Check: (value: unknown): value is Static<T> => Value.Check(schema, value),
      Errors: (value: unknown) => Value.Errors(schema, value),
    };
  },
};
