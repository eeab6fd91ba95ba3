/**
 * `npm start` rebuilds the web app when any source it is built from is newer than the build
 * (scripts/web-dist.mjs), and not otherwise: checked on a throwaway tree with chosen times, and
 * and on this repository.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = join(REPO, 'scripts/web-dist.mjs');
const root = mkdtempSync(join(tmpdir(), 'ferry-web-dist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the check on `dir`: its exit status and what it printed. */
function check(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, '--check', '--root', dir], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim() };
}

/** Writes `path` (under root) with its modification time `secondsAgo` in the past. */
function file(path: string, secondsAgo: number): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, path);
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(full, t, t);
}

describe('scripts/web-dist.mjs', () => {
  it('is stale without a build, fresh after one, stale again when a source moves', () => {
    file('apps/web/src/main.tsx', 100);
    file('packages/ui/src/App.tsx', 100);
    file('packages/client/src/sync.ts', 100);
    file('packages/protocol/src/schemas.ts', 100);
    file('package-lock.json', 100);
    expect(check(root)).toEqual({ status: 1, out: 'web app: apps/web/dist/index.html is missing' });

    file('apps/web/dist/index.html', 50);
    expect(check(root)).toEqual({ status: 0, out: 'fresh' });

    // Outside the bundle: tests, builds, dependencies, benchmarks, dot directories.
    for (const p of [
      'packages/client/test/sync.test.ts',
      'packages/ui/dist/index.js',
      'packages/protocol/node_modules/x/index.js',
      'packages/client/bench/pull.ts',
      'apps/web/.vite/cache.json',
      'packages/protocol/tsconfig.tsbuildinfo',
      'docs/web.md',
    ])
      file(p, 10);
    expect(check(root)).toEqual({ status: 0, out: 'fresh' });

    for (const p of [
      'packages/protocol/src/schemas.ts',
      'packages/client/src/sync.ts',
      'packages/ui/src/App.tsx',
      'apps/web/src/main.tsx',
      'apps/web/vite.config.ts',
      'package-lock.json',
    ]) {
      file(p, 10);
      expect(check(root)).toEqual({ status: 1, out: `web app: ${p} is newer than the build` });
      file(p, 100);
    }
    expect(check(root)).toEqual({ status: 0, out: 'fresh' });
  });

  it('npm start runs it before the server', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('node scripts/web-dist.mjs && npm run start -w @ferry/server');
  });

  // Its speed (~16 ms for this repository) is measured, not asserted: a test with a time limit
  // fails on a loaded machine (it did, at 1.5 s, under a load average of 24).
  it('checks this repository', () => {
    expect([0, 1]).toContain(check(REPO).status);
  });
});
