// The CLI as one CommonJS script, built by esbuild from the TypeScript sources and rebuilt when
// any of them changes. Loading the sources through tsx costs ~0.8 s of CPU per command: each of
// the ~300 modules (TypeBox alone is 266 files) goes through tsx's resolve and load hooks, which
// run in a separate thread. One bundle is one file to read and compile, and a script (not an ES
// module) can be compiled with V8's code cache (run-bundle.js; see docs/cli.md, "Start-up").
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIdLine } from './run-bundle.js';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const entry = join(cliDir, 'src', 'main.ts');
// Inside node_modules (ignored by git, lint and prettier), and below packages/cli so that the
// bundle's bare imports (better-sqlite3) resolve through the usual node_modules lookup.
const cacheDir = join(cliDir, 'node_modules', '.cache', 'ferry-cli');
const manifestPath = join(cacheDir, 'manifest.json');
// @noble/hashes (ids and HLC hashes) under Node's export condition imports `node:crypto` for its
// randomness: ~8 ms of every start, `ls` included, which draws none. Its other build reads
// `globalThis.crypto` (Web Crypto, in Node since 19) when first used instead.
const nobleWebCrypto = join(
  dirname(createRequire(import.meta.url).resolve('@noble/hashes/utils')),
  'esm',
  'crypto.js',
);
/** Files that change the output without being inputs of the bundle. */
const settings = [
  fileURLToPath(import.meta.url),
  join(cliDir, 'package.json'),
  join(cliDir, 'tsconfig.json'),
  join(cliDir, '..', '..', 'tsconfig.base.json'),
];

/**
 * esbuild's options for the CLI bundle written to `outfile`: here (the workspace's bundle, rebuilt
 * when a source changes) and in build.js (dist/ferry.cjs, what the published package runs).
 */
export function bundleOptions(outfile) {
  return {
    entryPoints: [entry],
    absWorkingDir: cliDir,
    bundle: true,
    platform: 'node',
    // A script, so that run-bundle.js can compile it with V8's code cache (Node 20 has none for
    // ES modules). `import()` stays for `@ferry/server`, which `ferry serve` loads through Node's
    // own loader (bin/ferry.js).
    format: 'cjs',
    target: 'node20',
    // The workspace packages from their TypeScript sources, whether or not they were built.
    conditions: ['ferry-source'],
    // A native addon, and the server (loaded by `ferry serve` only: from its built package once
    // installed, through tsx in the workspace).
    external: ['better-sqlite3', '@ferry/server'],
    alias: {
      '@noble/hashes/crypto': nobleWebCrypto,
      // Loaded when first used (by nothing ferry runs), not when commander loads.
      'node:child_process': join(cliDir, 'bin', 'lazy-child-process.cjs'),
    },
    sourcemap: 'linked',
    // Names the outputs and roots the map's source paths.
    outfile,
    logLevel: 'silent',
  };
}

/** Path and stamp (mtime, size) of every file the bundle was built from. */
function stamp(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? `${s.mtimeMs}:${s.size}` : 'missing';
}

/** The bundle, when the manifest exists and no input changed since it was built. */
function current() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return null;
  }
  // A copied checkout (a git worktree with node_modules copied in) holds a manifest of another
  // checkout's files, whose stamps say nothing about the sources here.
  if (manifest.dir !== cliDir) return null;
  for (const [path, was] of Object.entries(manifest.inputs)) if (stamp(path) !== was) return null;
  const bundle = join(cacheDir, manifest.bundle);
  return statSync(bundle, { throwIfNoEntry: false }) ? bundle : null;
}

/**
 * A bundle's text as esbuild wrote it, its source map named `mapName`, with its build id appended
 * (run-bundle.js: what its code cache is named after). Returns the text and the id.
 */
export async function withBuildId(contents, mapName) {
  const { createHash } = await import('node:crypto');
  const text = new TextDecoder()
    .decode(contents)
    .replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${mapName}\n`);
  const id = createHash('sha256').update(text).digest('hex').slice(0, 32);
  return { text: `${text.trimEnd()}${buildIdLine(id)}`, id };
}

/** Builds the bundle and its manifest (each written to a temporary name, then renamed). */
async function rebuild() {
  // Only here: loading esbuild costs more than a whole command run from the bundle.
  const { build } = await import('esbuild');
  const { createHash } = await import('node:crypto');
  const started = [...settings];
  const result = await build({
    ...bundleOptions(join(cacheDir, 'ferry.cjs')),
    metafile: true,
    // Not written as such: named by a hash of its contents below.
    write: false,
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.cjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  const name = `ferry-${createHash('sha256').update(code.contents).digest('hex').slice(0, 16)}.cjs`;
  const inputs = {};
  for (const p of [...Object.keys(result.metafile.inputs).map((i) => join(cliDir, i)), ...started])
    inputs[p] = stamp(p);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `.${process.pid}-${Date.now()}`;
  const { text } = await withBuildId(code.contents, `${name}.map`);
  writeFileSync(join(cacheDir, `${name}.map${tmp}`), map.contents);
  renameSync(join(cacheDir, `${name}.map${tmp}`), join(cacheDir, `${name}.map`));
  writeFileSync(join(cacheDir, `${name}${tmp}`), text);
  renameSync(join(cacheDir, `${name}${tmp}`), join(cacheDir, name));
  writeFileSync(manifestPath + tmp, JSON.stringify({ dir: cliDir, bundle: name, inputs }));
  renameSync(manifestPath + tmp, manifestPath);
  prune(name);
  return join(cacheDir, name);
}

/** Removes bundles of older sources (and their maps and code caches), once no process can be about to load them. */
function prune(keep) {
  const old = Date.now() - 10 * 60_000;
  for (const f of readdirSync(cacheDir)) {
    if (!f.startsWith('ferry-') || f.startsWith(keep)) continue;
    const path = join(cacheDir, f);
    if ((statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < old)
      rmSync(path, { force: true });
  }
}

/** The path of an up-to-date bundle of the CLI, built first when the sources changed. */
export async function cliBundle() {
  return current() ?? (await rebuild());
}
