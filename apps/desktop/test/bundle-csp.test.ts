/**
 * The app's CSP (tauri.conf.json) has no 'unsafe-eval': code generated at run time is refused in
 * the webview. So the bundle must not generate any, with no alias or shim in the Vite config
 * standing in for a library that does (TypeBox's compiler builds its checks with `new Function`),
 * and the engine's checks are the ones generated at build time.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

const appRoot = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'ferry-desktop-bundle-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the desktop bundle', () => {
  it('generates no code at run time (the CSP forbids eval) and needs no alias to manage it', async () => {
    const config = readFileSync(join(appRoot, 'vite.config.ts'), 'utf8');
    expect(config).not.toMatch(/alias/);
    await build({
      root: appRoot,
      configFile: join(appRoot, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    });
    const scripts = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    let precompiled = false;
    for (const file of scripts) {
      const code = readFileSync(join(outDir, 'assets', file), 'utf8');
      // `new Function`, `new globalThis.Function` (TypeBox's compiler), a bare `Function(` or `eval(`.
      expect(code.match(/new [\w.$]*Function\b|[^\w.$](?:Function|eval)\(/g), file).toBeNull();
      precompiled ||= code.includes('~TypeBox.Kind');
    }
    // The checks generated at build time are in (their keys name TypeBox's marks).
    expect(precompiled).toBe(true);
  });
});
