import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.ts';
import { runFerry } from './support/cli.ts';

// `--help` on every command, in-process (fast), plus the two that are special as real processes.
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) =>
    c.name() === 'help' ? [] : [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])],
  );
}

async function help(path: string[]): Promise<{ out: string; code: string }> {
  let out = '';
  const program = buildProgram({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    await program.parseAsync(['node', 'ferry', ...path, '--help']);
    return { out, code: 'none' };
  } catch (e) {
    if (e instanceof CommanderError) return { out, code: e.code };
    throw e;
  }
}

describe('--help', () => {
  const paths = commandPaths(buildProgram()).filter((p) => p[0] !== 'serve');

  it('covers every command of the scripting surface', () => {
    const names = paths.map((p) => p.join(' '));
    for (const c of [
      'signup',
      'login',
      'logout',
      'add',
      'import',
      'edit',
      'rm',
      'restore',
      'ls',
      'show',
      'sync',
      'watch',
      'status',
      'conflicts',
      'conflicts resolve',
      'rejected',
      'rejected dismiss',
    ]) {
      expect(names).toContain(c);
    }
  });

  for (const path of commandPaths(buildProgram()).filter((p) => p[0] !== 'serve')) {
    it(`ferry ${path.join(' ')} --help`, async () => {
      const { out, code } = await help(path);
      expect(code).toBe('commander.helpDisplayed');
      expect(out).toContain(`Usage: ferry ${path.join(' ')}`);
      expect(out).toContain('--db <path>');
    });
  }

  it('docs/cli.md lists every command in its table', () => {
    const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Commands'), doc.indexOf('### Passwords'));
    for (const path of commandPaths(buildProgram())) {
      expect(table, `ferry ${path.join(' ')}`).toMatch(
        new RegExp(`^\\| \`ferry ${path.join(' ')}[ \`]`, 'm'),
      );
    }
  });

  it('ferry --help and ferry serve --help exit 0 as processes', async () => {
    const [top, serve] = await Promise.all([runFerry(['--help']), runFerry(['serve', '--help'])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes: 0 ok/);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/Usage: ferry serve/);
    expect(serve.stdout).toMatch(/--database-url/);
  });

  it('is linked as node_modules/.bin/ferry at the repository root (what `npx ferry` runs)', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const r = spawnSync(`${root}node_modules/.bin/ferry`, ['--version'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
  });
});
