#!/usr/bin/env node
// The `ferry` command. An installed package runs dist/ferry.cjs: the CLI and the engine as one
// CommonJS script, built by esbuild (`npm run build`, bin/build.js). In the workspace (src/ is
// here) a command runs the same bundle built from the current sources: rebuilt by esbuild whenever
// a source changed (bundle.js), which starts in a fraction of the time tsx's per-module loader
// takes. There, `ferry serve` (which loads the server's sources), FERRY_CLI_TSX=1 and any run
// whose bundle cannot be built (a read-only checkout) run the sources through tsx.
//
// The bundle runs with V8's code cache (run-bundle.js), except for `ferry serve`, whose `import()`
// of the server needs Node's own loader, and with FERRY_DEBUG, whose stack traces name the
// TypeScript sources through the source map: those two load it with `require`.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const workspace = existsSync(new URL('../src/main.ts', import.meta.url));

/** The command's name: the first argument that is neither an option nor the value of `--db`. */
function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--db') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}
const command = commandName(process.argv.slice(2));

let bundle = workspace ? null : fileURLToPath(new URL('../dist/ferry.cjs', import.meta.url));
if (workspace && command !== 'serve' && process.env.FERRY_CLI_TSX !== '1') {
  try {
    bundle = await (await import('./bundle.js')).cliBundle();
  } catch (e) {
    if (process.env.FERRY_DEBUG)
      process.stderr.write(
        `ferry: no bundle (${e instanceof Error ? e.message : e}); running through tsx\n`,
      );
  }
}
if (bundle && (command === 'serve' || process.env.FERRY_DEBUG)) {
  // Stack traces (FERRY_DEBUG) name the TypeScript sources.
  if (process.env.FERRY_DEBUG) process.setSourceMapsEnabled(true);
  createRequire(import.meta.url)(bundle);
} else if (bundle) {
  (await import('./run-bundle.js')).runBundle(bundle);
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
