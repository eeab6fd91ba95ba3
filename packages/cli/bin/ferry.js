#!/usr/bin/env node
// The `ferry` command. The sources are TypeScript with no build step of their own: a command
// runs them as one bundle, rebuilt by esbuild whenever a source changed (bundle.js), which
// starts in a fraction of the time tsx's per-module loader takes. `ferry serve` (the server is
// TypeScript too) and FERRY_CLI_TSX=1 run the sources through tsx, as does any run whose bundle
// cannot be built (a read-only install).
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
let bundle = null;
if (command !== 'serve' && process.env.FERRY_CLI_TSX !== '1') {
  try {
    bundle = await (await import('./bundle.js')).cliBundle();
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
  await import(new URL(`file://${bundle}`).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
