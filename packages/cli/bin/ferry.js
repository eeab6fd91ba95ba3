#!/usr/bin/env node
// The `ferry` command. An installed package runs dist/ferry.mjs: the CLI and the engine as one
// ES module, built by esbuild (`npm run build`, bin/build.js). In the workspace (src/ is here) a
// command runs the same bundle built from the current sources: rebuilt by esbuild whenever a
// source changed (bundle.js), which starts in a fraction of the time tsx's per-module loader
// takes. There, `ferry serve` (which loads the server's sources), FERRY_CLI_TSX=1 and any run
// whose bundle cannot be built (a read-only checkout) run the sources through tsx.
import { existsSync } from 'node:fs';

const workspace = existsSync(new URL('../src/main.ts', import.meta.url));
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
let bundle = workspace ? null : new URL('../dist/ferry.mjs', import.meta.url).href;
if (workspace && command !== 'serve' && process.env.FERRY_CLI_TSX !== '1') {
  try {
    bundle = new URL(`file://${await (await import('./bundle.js')).cliBundle()}`).href;
  } catch (e) {
    if (process.env.FERRY_DEBUG)
      process.stderr.write(
        `ferry: no bundle (${e instanceof Error ? e.message : e}); running through tsx\n`,
      );
  }
}
if (bundle) {
  // Stack traces (FERRY_DEBUG) name the TypeScript sources.
  if (process.env.FERRY_DEBUG) process.setSourceMapsEnabled(true);
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // The other workspace packages from their sources too (their `ferry-source` export): a hook
  // registered after tsx's runs before it and adds the condition to every resolution.
  const { register: registerHooks } = await import('node:module');
  registerHooks(
    'data:text/javascript,export function resolve(s, c, next) { return next(s, { ...c, conditions: [...c.conditions, "ferry-source"] }); }',
  );
  await import('../src/main.ts');
}
