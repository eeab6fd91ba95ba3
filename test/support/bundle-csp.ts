/**
 * The check both app bundles share: their CSP has no 'unsafe-eval', so code generated at run
 * time is refused. The bundle must not generate any, with no alias or shim in the Vite config
 * standing in for a library that does (TypeBox's compiler builds its checks with `new Function`),
 * and the engine's checks must be the ones generated at build time.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { expect } from 'vitest';

/** Builds the app at `appRoot` with its own Vite config and checks every script it emits. */
export async function expectBundleGeneratesNoCode(appRoot: string): Promise<void> {
  const config = readFileSync(join(appRoot, 'vite.config.ts'), 'utf8');
  expect(config).not.toMatch(/alias/);
  const outDir = mkdtempSync(join(tmpdir(), 'ferry-bundle-'));
  try {
    await build({
      root: appRoot,
      configFile: join(appRoot, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    });
    const scripts = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.js'),
    );
    expect(scripts.length).toBeGreaterThan(0);
    const code = new Map(scripts.map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
    for (const [file, text] of code) {
      // `new Function`, `new globalThis.Function` (TypeBox's compiler), a bare `Function(` or `eval(`.
      expect(text.match(/new [\w.$]*Function\b|[^\w.$](?:Function|eval)\(/g), file).toBeNull();
    }
    // The checks generated at build time are in (their keys name TypeBox's marks).
    expect([...code.values()].some((text) => text.includes('~TypeBox.Kind'))).toBe(true);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
