// Runs the CLI's bundle (a CommonJS script) with V8's code cache. Node 20 has no compile cache
// for modules (`module.enableCompileCache` is Node 22), so every command compiled the whole
// ~0.6 MB bundle again (~35 ms of CPU, more under load). Here the bundle is compiled through
// `vm.Script` with the code V8 serialised after an earlier run (`createCachedData`, taken at exit,
// so it holds every function that run compiled, not only the top level); V8 checks that the cache
// was made by this V8 with these flags and rejects it otherwise, and then a new one is written.
//
// V8 checks the source only by its length, so a cache is named after the bundle's build id, a
// hash of its contents that the build appends as its last line (`//# ferry-build <hash>`); a
// bundle without one runs without a cache. The cache sits next to the bundle; where that folder
// cannot be written (a system-wide install), commands run without it, and do not serialise one
// at exit only to fail to write it.
import {
  accessSync,
  constants,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

const MARK = '\n//# ferry-build ';

/** The line the build appends to a bundle: its id, a hash of everything before it. */
export function buildIdLine(hash) {
  return `${MARK}${hash}\n`;
}

/** The build id at the end of a bundle's text, if it has one (a search from the end: no regex over 0.6 MB). */
function buildId(source) {
  const at = source.lastIndexOf(MARK);
  if (at < 0) return undefined;
  const id = source.slice(at + MARK.length).trim();
  return /^[0-9a-f]{16,64}$/.test(id) ? id : undefined;
}

/** Where the code cache of a bundle with build id `id` is kept, for this Node and machine. */
export function cachePath(file, id) {
  return join(dirname(file), `${basename(file)}.${id}.${process.version}-${process.arch}.v8cache`);
}

/** Whether a cache could be written next to the bundle (the folder is writable). */
function canWrite(path) {
  try {
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readCache(path) {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Removes the caches of the bundle's earlier builds (left by an upgrade, ~0.4 MB each, never read
 * again). Those of this build for another Node stay: two Node versions sharing one install would
 * otherwise delete each other's at every run.
 */
function pruneEarlierBuilds(file, id) {
  const bundle = `${basename(file)}.`;
  for (const name of readdirSync(dirname(file)))
    if (name.startsWith(bundle) && name.endsWith('.v8cache') && !name.startsWith(`${bundle}${id}.`))
      rmSync(join(dirname(file), name), { force: true });
}

/** Writes the cache at exit (after the command ran: the functions it compiled are in it). */
function writeCacheAtExit(script, file, id) {
  const path = cachePath(file, id);
  process.once('exit', () => {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, path);
      pruneEarlierBuilds(file, id);
    } catch {
      // A read-only folder, a full disk: the next command compiles again.
      rmSync(tmp, { force: true });
    }
  });
}

/** Runs the CommonJS bundle at `file` as Node would `require` it, with V8's code cache. */
export function runBundle(file) {
  const source = readFileSync(file, 'utf8');
  const id = buildId(source);
  const cache = id === undefined ? undefined : cachePath(file, id);
  const cachedData = cache === undefined ? undefined : readCache(cache);
  // Node's own CommonJS wrapper, on a line of its own so that line numbers stay the file's.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`,
    { filename: file, lineOffset: -1, ...(cachedData ? { cachedData } : {}) },
  );
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  if (cache !== undefined && stale && canWrite(cache)) writeCacheAtExit(script, file, id);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
}
