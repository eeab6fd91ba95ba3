/**
 * Stands in for `@sinclair/typebox/compiler` in the web app's bundle (a Vite alias in
 * apps/web/vite.config.ts). No longer needed: the engine's main entry does not import TypeBox's
 * compiler any more (its checks come from `FerryOptions.validator`, by default interpreted), so
 * the alias resolves nothing; the desktop dropped its alias. Delete this file with the web's.
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
