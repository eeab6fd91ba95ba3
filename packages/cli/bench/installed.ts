import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds dist/ferry.cjs and lays the package out as `npm install` does (bin/ferry.js,
 * bin/run-bundle.js and dist/, no src/), under node_modules/.cache so that better-sqlite3
 * resolves; returns the path of its bin/ferry.js. Its code cache starts empty.
 */
export function installedCli(): string {
  if (spawnSync(process.execPath, [join(cliDir, 'bin', 'build.js')]).status !== 0)
    throw new Error('bin/build.js failed');
  const dir = join(cliDir, 'node_modules', '.cache', 'ferry-cli-installed');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const f of ['ferry.js', 'run-bundle.js'])
    cpSync(join(cliDir, 'bin', f), join(dir, 'bin', f));
  cpSync(join(cliDir, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(cliDir, 'package.json'), join(dir, 'package.json'));
  return join(dir, 'bin', 'ferry.js');
}
