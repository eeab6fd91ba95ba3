// Builds the web app (apps/web/dist) for `npm start` when it is missing or older than anything it
// is built from: a file under apps/web, packages/ui, packages/client or packages/protocol (their
// tests, benchmarks, builds and node_modules aside), or package-lock.json (a dependency moved).
// Before, `npm start` built only when dist/index.html was missing, so it served a stale app after
// any change. Compares modification times only: a walk of a few hundred files, some milliseconds.
//
//   node scripts/web-dist.mjs            build if stale, then exit with the build's status
//   node scripts/web-dist.mjs --check    print why it is stale (exit 1) or "fresh" (exit 0)
//   --root DIR                           the repository (default: this script's parent)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the app is built from, relative to the repository. */
const SOURCES = ['apps/web', 'packages/ui', 'packages/client', 'packages/protocol'];
const FILES = ['package-lock.json'];
/** Directories that are not part of the bundle. */
const SKIP = new Set(['node_modules', 'dist', 'test', 'bench', 'coverage']);

/** The newest file under `dir` ({ path, mtimeMs }), skipping SKIP and dot directories. */
function newestUnder(dir, newest) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP.has(e.name) && !e.name.startsWith('.')) newest = newestUnder(path, newest);
    } else if (e.isFile() && !e.name.endsWith('.tsbuildinfo')) {
      const { mtimeMs } = statSync(path);
      if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
    }
  }
  return newest;
}

/** Why the build under `root` is stale, or null when it is fresh. */
export function staleReason(root) {
  const index = join(root, 'apps/web/dist/index.html');
  let built;
  try {
    built = statSync(index).mtimeMs;
  } catch {
    return 'apps/web/dist/index.html is missing';
  }
  let newest = { path: '', mtimeMs: -Infinity };
  for (const dir of SOURCES) newest = newestUnder(join(root, dir), newest);
  for (const file of FILES) {
    try {
      const { mtimeMs } = statSync(join(root, file));
      if (mtimeMs > newest.mtimeMs) newest = { path: join(root, file), mtimeMs };
    } catch {
      // not there: nothing to compare
    }
  }
  return newest.mtimeMs > built ? `${relative(root, newest.path)} is newer than the build` : null;
}

function main(argv) {
  const check = argv.includes('--check');
  const at = argv.indexOf('--root');
  const root = at >= 0 ? argv[at + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
  const reason = staleReason(root);
  if (reason === null) {
    if (check) console.log('fresh');
    return 0;
  }
  console.log(`web app: ${reason}${check ? '' : '; building it'}`);
  if (check) return 1;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '-w', '@ferry/web'], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
