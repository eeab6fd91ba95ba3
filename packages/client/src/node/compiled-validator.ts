import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Check, Validator } from '../checks.ts';

/**
 * Compiles each schema to a JavaScript function (TypeBox's `TypeCompiler`, which uses
 * `new Function`): faster than interpreting it on large sync pages. For Node, where no CSP
 * forbids generating code; a page keeps the default `interpretedValidator`.
 */
export const compiledValidator: Validator = <T extends TSchema>(schema: T): Check<T> =>
  TypeCompiler.Compile(schema);
