import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry, type CliResult } from './support/cli.ts';
import { tempDir } from './support/tmp.ts';

// `--db` and `--insecure` may come before the command (`ferry --db X ls`) as well as after it.
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.remove();
});

function titles(r: CliResult): string[] {
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { title: string }[]).map((n) => n.title).sort();
}

describe('global options', () => {
  it('--db before the command opens the same database as --db after it', async () => {
    const a = join(dir.path, 'a.db');
    const b = join(dir.path, 'b.db');
    const before = await runFerry(['--db', a, 'add', 'written before']);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect((await runFerry(['add', 'written after', '--db', a])).code).toBe(0);
    expect((await runFerry(['--db', b, 'add', 'in b'])).code).toBe(0);
    expect(titles(await runFerry(['--db', a, 'ls', '--json']))).toEqual([
      'written after',
      'written before',
    ]);
    expect(titles(await runFerry(['ls', '--json', '--db', a]))).toEqual([
      'written after',
      'written before',
    ]);
    expect(titles(await runFerry(['--db', b, 'ls', '--json']))).toEqual(['in b']);
    // The command's own --db wins over the one before it.
    expect(titles(await runFerry(['--db', a, 'ls', '--json', '--db', b]))).toEqual(['in b']);
  });

  it('reaches a nested command (ferry --db X rejected dismiss ID), not the default database', async () => {
    const a = join(dir.path, 'nested.db');
    const home = join(dir.path, 'xdg');
    const r = await runFerry(
      ['--db', a, 'rejected', 'dismiss', '0193a1c3-0000-7000-8000-000000000000'],
      {
        env: { XDG_DATA_HOME: home },
      },
    );
    // Not found (exit 5) in the database named before the command, which now exists.
    expect(r.stderr).toContain('no rejected change with id');
    expect(r.code).toBe(5);
    expect(existsSync(a)).toBe(true);
    expect(existsSync(join(home, 'ferry'))).toBe(false);
  });
});
