// `npm run build -w @ferry/cli` (and `npm pack`, through prepack): dist/ferry.mjs, the one-file
// bundle an installed package runs, built with the same options as the workspace's bundle.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from './bundle.js';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
rmSync(dist, { recursive: true, force: true });
await build(bundleOptions(join(dist, 'ferry.mjs')));
