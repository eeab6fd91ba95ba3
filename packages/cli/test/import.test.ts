import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNoteFile, titleOfMarkdown } from '../src/import-files.ts';
import { renderBar } from '../src/progress.ts';
import { runFerry, type CliResult } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

// `ferry import`: files and folders of Markdown, text and JSON become notes in ONE local
// transaction, all or nothing.
const PASSWORD = 'correct horse battery';
let dir: { path: string; remove(): Promise<void> };
let server: TestServer;
const db = (name: string): string => join(dir.path, `${name}.db`);

beforeAll(async () => {
  dir = await tempDir('ferry-import-');
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

interface JsonNote {
  id: string;
  title: string;
  content: string;
  synced: number;
}
async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runFerry(args, { env });
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const ls = async (name: string): Promise<JsonNote[]> =>
  JSON.parse(await ok(['ls', '--json', '--db', db(name)])) as JsonNote[];
const pending = async (name: string): Promise<number> =>
  (JSON.parse(await ok(['status', '--json', '--db', db(name)])) as { pending: number }).pending;

/** A folder of notes: Markdown with and without a heading, nested, a text file, and files to skip. */
async function notesFolder(name: string): Promise<string> {
  const root = join(dir.path, name);
  await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(root, '.hidden'), { recursive: true });
  await writeFile(join(root, 'groceries.md'), '# Groceries\n\n- milk\n- bread\n');
  await writeFile(join(root, 'no-heading.md'), 'just text, no heading\n');
  await writeFile(join(root, 'sub', 'setext.markdown'), 'Setext Title\n============\n\nbody\n');
  await writeFile(join(root, 'sub', 'deeper', 'plain.txt'), '# not a heading in a .txt\n');
  await writeFile(join(root, 'sub', 'ünïcödé.md'), '\uFEFF## Café ☕ ##\nnotes 日本語\n');
  await writeFile(join(root, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(join(root, '.hidden', 'secret.md'), '# hidden\n');
  return root;
}

describe('parsing', () => {
  it('titles Markdown by its first heading (ATX or setext), else by the file name', () => {
    expect(titleOfMarkdown('# One\n## Two')).toBe('One');
    expect(titleOfMarkdown('intro\n\n### Deep ###\n')).toBe('Deep');
    expect(titleOfMarkdown('Title\n---\nx')).toBe('Title');
    expect(titleOfMarkdown('```\n# in code\n```\n')).toBeNull();
    expect(titleOfMarkdown('#hashtag, not a heading')).toBeNull();
    expect(titleOfMarkdown('---\n')).toBeNull();
    expect(parseNoteFile('/x/Meeting notes.md', '\uFEFFno heading')).toEqual([
      { title: 'Meeting notes', content: 'no heading', source: '/x/Meeting notes.md' },
    ]);
    expect(parseNoteFile('/x/a.txt', '# hi')).toEqual([
      { title: 'a', content: '# hi', source: '/x/a.txt' },
    ]);
  });

  it('reads JSON as an array of {title, content} and names the bad element', () => {
    expect(parseNoteFile('/n.json', '[{"title":"a","content":"b"},{"title":"c"}]')).toEqual([
      { title: 'a', content: 'b', source: '/n.json[0]' },
      { title: 'c', content: '', source: '/n.json[1]' },
    ]);
    expect(() => parseNoteFile('/n.json', '{"title":"a"}')).toThrow(
      /\/n\.json: expected a JSON array/,
    );
    expect(() => parseNoteFile('/n.json', '[{"title":"a"},{"content":"b"}]')).toThrow(
      /\/n\.json\[1\]: "title" must be a string/,
    );
    expect(() => parseNoteFile('/n.json', '[{"title":"a","content":3}]')).toThrow(
      /\/n\.json\[0\]: "content" must be a string/,
    );
    expect(() => parseNoteFile('/n.json', '[{"title":"a","tags":[]}]')).toThrow(
      /\/n\.json\[0\]: unknown key "tags"/,
    );
    expect(() => parseNoteFile('/n.json', '[oops')).toThrow(/\/n\.json: not valid JSON/);
  });

  it('draws a progress bar', () => {
    expect(renderBar('reading', 0, 4, 8)).toBe('reading [--------] 0/4');
    expect(renderBar('reading', 1, 4, 8)).toBe('reading [##------] 1/4');
    expect(renderBar('reading', 4, 4, 8)).toBe('reading [########] 4/4');
  });
});

describe('ferry import', () => {
  it('imports a folder of Markdown and text files and a JSON file in one go; --json prints the ids', async () => {
    const folder = await notesFolder('notes');
    const json = join(dir.path, 'more.json');
    await writeFile(
      json,
      JSON.stringify([
        { title: 'from json', content: 'c1' },
        { title: 'second', content: '' },
        { title: 'no content' },
      ]),
    );
    const r = await runFerry(['import', folder, json, '--json', '--db', db('a')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; title: string; source: string }[];
    expect(out.map((o) => o.title)).toEqual([
      'Groceries',
      'no-heading',
      'plain',
      'Setext Title',
      'Café ☕',
      'from json',
      'second',
      'no content',
    ]);
    expect(out.map((o) => o.source)).toEqual([
      join(folder, 'groceries.md'),
      join(folder, 'no-heading.md'),
      join(folder, 'sub', 'deeper', 'plain.txt'),
      join(folder, 'sub', 'setext.markdown'),
      join(folder, 'sub', 'ünïcödé.md'),
      `${json}[0]`,
      `${json}[1]`,
      `${json}[2]`,
    ]);
    const notes = await ls('a');
    expect(new Set(notes.map((n) => n.id))).toEqual(new Set(out.map((o) => o.id)));
    const byTitle = new Map(notes.map((n) => [n.title, n]));
    expect(byTitle.get('Groceries')!.content).toBe('# Groceries\n\n- milk\n- bread\n');
    expect(byTitle.get('Café ☕')!.content).toBe('## Café ☕ ##\nnotes 日本語\n');
    expect(byTitle.get('plain')!.content).toBe('# not a heading in a .txt\n');
    expect(byTitle.get('no content')!.content).toBe('');
    expect(notes.every((n) => n.synced === 0)).toBe(true);
    expect(await pending('a')).toBe(8);

    // Files in name order, folders walked depth first; hidden entries and other extensions skipped.
    // Plain output: a summary on stdout.
    const again = await runFerry(['import', json, '--db', db('a')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`Imported 3 notes from 1 file.\n`);
  });

  it('imported notes sync to another device', { timeout: 120_000 }, async () => {
    const folder = join(dir.path, 'many');
    await mkdir(folder);
    for (let i = 0; i < 300; i++)
      await writeFile(
        join(folder, `n${String(i).padStart(3, '0')}.md`),
        `# Note ${i}\n\nbody ${i}\n`,
      );
    const email = `import-${Date.now()}@example.com`;
    await ok(['signup', '--server', server.url, '--email', email, '--db', db('s1')], {
      FERRY_PASSWORD: PASSWORD,
    });
    await ok(['login', '--server', server.url, '--email', email, '--db', db('s2')], {
      FERRY_PASSWORD: PASSWORD,
    });
    await ok(['import', folder, '--db', db('s1')]);
    await ok(['sync', '--db', db('s1')]);
    await ok(['sync', '--db', db('s2')]);
    const got = await ls('s2');
    expect(got).toHaveLength(300);
    expect(new Set(got.map((n) => n.title))).toEqual(
      new Set(Array.from({ length: 300 }, (_, i) => `Note ${i}`)),
    );
    expect(await pending('s1')).toBe(0);
  });

  it('refuses a file over the content limit, naming it, and writes nothing', async () => {
    const folder = await notesFolder('with-big');
    const big = join(folder, 'sub', 'big.md');
    await writeFile(big, `# Big\n${'x'.repeat(1024 * 1024)}`);
    const r = await runFerry(['import', folder, '--db', db('b')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(big);
    expect(r.stderr).toMatch(/"content" is larger than 1048576 bytes of UTF-8/);
    expect(r.stderr).toMatch(/nothing was imported/);
    expect(await ls('b')).toEqual([]);
    expect(await pending('b')).toBe(0);
  });

  it('refuses a bad JSON file, a missing path and a folder with nothing to import, writing nothing', async () => {
    const folder = await notesFolder('with-bad-json');
    const bad = join(folder, 'bad.json');
    await writeFile(bad, JSON.stringify([{ title: 'ok' }, { title: 'x'.repeat(1001) }]));
    const r1 = await runFerry(['import', folder, '--db', db('c')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`${bad}[1]: "title" is longer than 1000 characters`);

    const r2 = await runFerry(['import', join(dir.path, 'does-not-exist'), '--db', db('c')]);
    expect(r2.code).toBe(5);
    expect(r2.stderr).toMatch(/no such file or folder/);

    const empty = join(dir.path, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'picture.jpg'), 'x');
    const r3 = await runFerry(['import', empty, '--db', db('c')]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/no \.md, \.markdown, \.txt or \.json files/);
    expect(await ls('c')).toEqual([]);
  });

  it('shows progress on stderr with --progress when stderr is not a terminal', async () => {
    const folder = await notesFolder('progress');
    const r: CliResult = await runFerry(['import', folder, '--progress', '--db', db('d')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reading \[#+\] 5\/5/);
    expect(r.stderr).toMatch(/writing 5 notes/);
    expect(r.stdout).toBe('Imported 5 notes from 5 files.\n');
  });
});
