import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry, type CliResult } from './support/cli.ts';
import { tempDir } from './support/tmp.ts';

// Issue 9 item 2: notebooks (schema 3) in the CLI: `ferry notebooks` lists, adds, renames and
// removes them; `ferry mv` files a note; `ferry ls --notebook` shows one notebook's notes.
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.remove();
});

function ok(r: CliResult): string {
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('ferry notebooks and mv', () => {
  it('adds, lists, files notes, renames and removes notebooks', async () => {
    const db = ['--db', join(dir.path, 'nb.db')];
    const work = ok(await runFerry(['notebooks', 'add', 'Work', ...db])).trim();
    ok(await runFerry(['notebooks', 'add', 'Home', ...db]));
    const note = ok(await runFerry(['add', 'plan', ...db])).trim();
    ok(await runFerry(['add', 'elsewhere', ...db]));

    ok(await runFerry(['mv', note.slice(0, -4), 'work', ...db]));
    const listed = JSON.parse(ok(await runFerry(['notebooks', '--json', ...db]))) as {
      id: string;
      name: string;
      notes: number;
    }[];
    expect(listed.map((b) => [b.name, b.notes])).toEqual([
      ['Home', 0],
      ['Work', 1],
    ]);
    expect(listed[1]!.id).toBe(work);
    const inWork = JSON.parse(
      ok(await runFerry(['ls', '--notebook', 'Work', '--json', ...db])),
    ) as { id: string }[];
    expect(inWork.map((n) => n.id)).toEqual([note]);

    ok(await runFerry(['notebooks', 'rename', 'Work', 'Office', ...db]));
    expect(ok(await runFerry(['notebooks', ...db]))).toMatch(/Office {2}\(1 note\)/);
    ok(await runFerry(['mv', note, '--none', ...db]));
    expect(ok(await runFerry(['ls', '--notebook', 'Office', '--json', ...db]))).toBe('[]\n');

    ok(await runFerry(['notebooks', 'rm', 'Office', ...db]));
    const left = JSON.parse(ok(await runFerry(['notebooks', '--json', ...db]))) as {
      name: string;
    }[];
    expect(left.map((b) => b.name)).toEqual(['Home']);
  });

  it('says which notebook it could not find, and asks for one of a notebook or --none', async () => {
    const db = ['--db', join(dir.path, 'errors.db')];
    const note = ok(await runFerry(['add', 'x', ...db])).trim();
    const missing = await runFerry(['mv', note, 'Nowhere', ...db]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('no notebook named "Nowhere"');
    const neither = await runFerry(['mv', note, ...db]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--none');
  });
});
