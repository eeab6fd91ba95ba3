/**
 * The checks of one sync page per validator, in Debian's Chromium (checks-bench-core.ts bundled
 * by esbuild into a blank page without a CSP, so the compiled validator runs too), timed with
 * `performance.now()` (wall time of the page's main thread: nothing else runs in it).
 * `npx tsx --conditions=ferry-source bench/checks-bench-browser.ts [rows] [pages]`
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const rows = Number(process.argv[2] ?? 1000);
const pages = Number(process.argv[3] ?? 200);

const bundle = await build({
  stdin: {
    contents: `import { runChecksBench } from './checks-bench-core.ts';
      globalThis.runChecksBench = runChecksBench;`,
    resolveDir: import.meta.dirname,
    loader: 'ts',
  },
  bundle: true,
  format: 'iife',
  conditions: ['ferry-source'],
  write: false,
});
const browser = await chromium.launch({
  executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new'],
});
try {
  const page = await browser.newPage();
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  const lines = await page.evaluate(
    ([r, p]) => {
      const run = (globalThis as unknown as Record<string, unknown>).runChecksBench as (
        rows: number,
        pages: number,
        clock: () => number,
      ) => string[];
      return run(r, p, () => performance.now());
    },
    [rows, pages] as const,
  );
  console.log(`Chromium ${browser.version()}`);
  for (const line of lines) console.log(line);
} finally {
  await browser.close();
}
