import { describe, expect, it, vi } from 'vitest';

// Every TypeBox compile the engine asks for, counted (the real compiler still runs).
const compiled = vi.hoisted(() => ({ count: 0 }));
vi.mock('@sinclair/typebox/compiler', async (importOriginal) => {
  const real = await importOriginal<typeof import('@sinclair/typebox/compiler')>();
  const Compile: typeof real.TypeCompiler.Compile = (schema, references) => {
    compiled.count += 1;
    return real.TypeCompiler.Compile(schema, references);
  };
  return { ...real, TypeCompiler: { ...real.TypeCompiler, Compile } };
});

describe('importing the client', () => {
  it('compiles no schema (lazy-check.ts: a CLI command pays only for the checks it uses)', async () => {
    await import('@ferry/client');
    expect(compiled.count).toBe(0);
  });
});
