import type { Static, TSchema } from '@sinclair/typebox';
import { Errors as valueErrors, type ValueErrorIterator } from '@sinclair/typebox/errors';
import { Check as checkValue } from '@sinclair/typebox/value';

/** The check of one schema: the part of TypeBox's checks the engine uses. */
export interface Check<T extends TSchema> {
  Check(value: unknown): value is Static<T>;
  Errors(value: unknown): ValueErrorIterator;
}

/**
 * Makes the check of a schema (`FerryOptions.validator`). The engine asks for each check when it
 * first needs it, never at import. The default, {@link interpretedValidator}, generates no code;
 * in Node, `compiledValidator` from `@ferry/client/node` compiles each schema to a function, and
 * on a page whose CSP has no 'unsafe-eval' (the desktop and web apps), {@link
 * precompiledValidator} uses the same functions generated at build time. Both check a sync page
 * ~3.5× faster than the interpreter (docs/benchmarks.md, "Response checks on pages").
 */
export type Validator = <T extends TSchema>(schema: T) => Check<T>;

/** Checks by walking the schema (TypeBox's `Value.Check`); nothing is compiled. */
export const interpretedValidator: Validator = <T extends TSchema>(schema: T): Check<T> => ({
  Check: (value): value is Static<T> => checkValue(schema, value),
  Errors: (value) => valueErrors(schema, value),
});

/**
 * Checks generated ahead of time (`TypeCompiler.Code` at build time, see
 * `src/node/checks-codegen.ts`), each under the {@link schemaKey} of the schema it was generated
 * from.
 */
export type PrecompiledChecks = ReadonlyMap<string, (value: unknown) => boolean>;

/**
 * The whole text of a schema, TypeBox's symbol-keyed marks (`Kind`, `Optional`, …) included: two
 * schemas with the same key are checked alike. Null if the schema has no JSON text (a bigint or
 * a cycle in it).
 */
export function schemaKey(schema: TSchema): string | null {
  try {
    return JSON.stringify(schema, (_key, value: unknown) => {
      if (typeof value === 'bigint') return `${value}n`;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const marks: Record<string, unknown> = {};
      for (const s of Object.getOwnPropertySymbols(value))
        marks[`~${s.description ?? ''}`] = (value as Record<symbol, unknown>)[s];
      return { ...marks, ...value };
    });
  } catch {
    return null;
  }
}

/**
 * Checks with the code generated ahead of time for a schema whose {@link schemaKey} is in
 * `checks`, so nothing is compiled at run time (a page CSP without 'unsafe-eval' allows it), as
 * fast as {@link Validator | compiledValidator}. Any other schema (a protocol or TypeBox change
 * since the checks were generated) gets `fallback`'s check, never none. `Errors`, needed only
 * when a check fails, is interpreted.
 */
export function precompiledValidator(
  checks: PrecompiledChecks,
  fallback: Validator = interpretedValidator,
): Validator {
  return <T extends TSchema>(schema: T): Check<T> => {
    const key = schemaKey(schema);
    const check = key === null ? undefined : checks.get(key);
    if (!check) return fallback(schema);
    return {
      Check: (value): value is Static<T> => check(value),
      Errors: (value) => valueErrors(schema, value),
    };
  };
}

/** One engine's checks: each made by its validator the first time it is asked for, then kept. */
export class Checks {
  private readonly made = new Map<TSchema, Check<TSchema>>();

  constructor(private readonly validator: Validator = interpretedValidator) {}

  /** The check of `schema`. */
  of<T extends TSchema>(schema: T): Check<T> {
    let check = this.made.get(schema);
    if (!check) {
      check = this.validator(schema);
      this.made.set(schema, check);
    }
    // Made from this very schema, so it checks `Static<T>`.
    return check as Check<T>;
  }
}
