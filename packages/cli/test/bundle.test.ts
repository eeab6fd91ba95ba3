import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFerry } from './support/cli.ts';

const cli = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));
const manifestPath = cli('node_modules/.cache/ferry-cli/manifest.json');
interface Manifest {
  dir?: string;
  bundle: string;
  inputs: Record<string, string>;
}
const manifest = (): Manifest => JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
const stamp = (p: string): string => {
  const s = statSync(p);
  return `${s.mtimeMs}:${s.size}`;
};

describe('the CLI runs from a bundle of its sources (bin/bundle.js)', () => {
  it('builds it from the sources, lists every input, and rebuilds when one changes', async () => {
    const first = await runFerry(['--version']);
    expect(first).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const inputs = Object.keys(manifest().inputs);
    for (const f of [
      cli('src/main.ts'),
      cli('src/commands/sync.ts'),
      cli('../client/src/sync.ts'),
      cli('../protocol/src/index.ts'),
    ]) {
      expect(inputs).toContain(f);
    }
    expect(inputs.some((f) => f.includes('@ferry/server') || f.includes('/packages/server/'))).toBe(
      false,
    );

    // A changed source (here only its mtime) makes the next command rebuild before it runs.
    const source = cli('src/output.ts');
    const later = new Date(Date.now() + 5_000);
    utimesSync(source, later, later);
    expect(await runFerry(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(manifest().inputs[source]).toBe(stamp(source));
  });

  it("rebuilds rather than trust a manifest of another checkout's files", async () => {
    // What a git worktree with node_modules copied from the main checkout holds: a manifest whose
    // inputs are the other checkout's sources, all unchanged, so every stamp matched and commands
    // ran the other checkout's code.
    expect(await runFerry(['--version'])).toMatchObject({ code: 0 });
    writeFileSync(manifestPath, JSON.stringify({ ...manifest(), dir: '/elsewhere/packages/cli/' }));
    expect(await runFerry(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(manifest().dir).toBe(cli(''));
  });

  it('runs through tsx with FERRY_CLI_TSX=1, with the same behaviour', async () => {
    const viaTsx = await runFerry(['nosuchcommand'], { env: { FERRY_CLI_TSX: '1' } });
    const viaBundle = await runFerry(['nosuchcommand']);
    expect(viaTsx).toMatchObject({ code: 2 });
    expect(viaBundle).toEqual(viaTsx);
  });

  it("compiles it with V8's code cache: made by the first run, used by the next, remade when V8 rejects it", async () => {
    expect(await runFerry(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const dir = dirname(manifestPath);
    const bundle = manifest().bundle;
    const caches = (): string[] =>
      readdirSync(dir).filter((f) => f.startsWith(bundle) && f.endsWith('.v8cache'));
    // Named after the bundle's build id, for this Node and machine.
    expect(caches()).toEqual([
      expect.stringMatching(
        new RegExp(`^${bundle}\\.[0-9a-f]{32}\\.${process.version}-${process.arch}\\.v8cache$`),
      ),
    ]);
    const cache = join(dir, caches()[0]!);
    // Accepted: the next run leaves it as it is.
    const made = statSync(cache).mtimeMs;
    expect(await runFerry(['ls', '--db', join(dir, 'cache-test.db')])).toMatchObject({ code: 0 });
    expect(statSync(cache).mtimeMs).toBe(made);
    // Rejected (here: not a cache at all): the command still runs, and leaves a good one. Writing
    // it removes an earlier build's cache (an upgrade's leftover), not this build's for another Node.
    const id = caches()[0]!
      .slice(bundle.length + 1)
      .split('.')[0]!;
    const earlier = `${bundle}.${'0'.repeat(32)}.${process.version}-${process.arch}.v8cache`;
    const otherNode = `${bundle}.${id}.v0.0.1-${process.arch}.v8cache`;
    writeFileSync(join(dir, earlier), 'an earlier build');
    writeFileSync(join(dir, otherNode), 'another Node');
    writeFileSync(cache, 'not a code cache');
    expect(await runFerry(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(readFileSync(cache).length).toBeGreaterThan(10_000);
    expect(caches().sort()).toEqual([basename(cache), otherNode].sort());
    rmSync(join(dir, otherNode));
  });
});
