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
  it('compiles no schema (checks are made on first use: a CLI command pays only for its own)', async () => {
    await import('@ferry/client');
    await import('@ferry/client/node');
    expect(compiled.count).toBe(0);
  });

  it('compiles with the injected compiledValidator, each schema once, when first used', async () => {
    const { Checks } = await import('../src/checks.ts');
    const { compiledValidator } = await import('@ferry/client/node');
    const { PokeEvent } = await import('@ferry/protocol');
    const checks = new Checks(compiledValidator);
    const before = compiled.count;
    expect(checks.of(PokeEvent).Check({ cursor: '7' })).toBe(true);
    expect(checks.of(PokeEvent).Check({ cursor: 7 })).toBe(false);
    expect(compiled.count).toBe(before + 1);
  });

  it('checks by default without compiling (no code generation for a page under a CSP)', async () => {
    const { Checks } = await import('../src/checks.ts');
    const { PokeEvent } = await import('@ferry/protocol');
    const before = compiled.count;
    const check = new Checks().of(PokeEvent);
    expect(check.Check({ cursor: '7' })).toBe(true);
    expect(check.Errors({ cursor: 7 }).First()?.path).toBe('/cursor');
    expect(compiled.count).toBe(before);
  });
});
