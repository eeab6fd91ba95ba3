// `npm run build -w @ferry/cli` (and `npm pack`, through prepack): dist/ferry.cjs, the one-file
// bundle an installed package runs, built with the same options as the workspace's bundle and
// ending in its build id (run-bundle.js names its code cache after it).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions, withBuildId } from './bundle.js';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
rmSync(dist, { recursive: true, force: true });
const result = await build({ ...bundleOptions(join(dist, 'ferry.cjs')), write: false });
mkdirSync(dist, { recursive: true });
for (const f of result.outputFiles) {
  if (f.path.endsWith('.map')) writeFileSync(f.path, f.contents);
  else writeFileSync(f.path, (await withBuildId(f.contents, 'ferry.cjs.map')).text);
}
