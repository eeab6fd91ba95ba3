/**
 * What `ferry import` reads: files and folders of Markdown, plain text and JSON, turned into note
 * inputs and checked against the notes declaration before anything is written.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, parse, resolve } from 'node:path';
import { checkFields, notes as notesTable } from '@ferry/protocol';
import { CliError, notFound, usage } from './errors.ts';

/** One note to create, and where it came from (a path, or `path[index]` inside a JSON file). */
export interface ImportNote {
  title: string;
  content: string;
  source: string;
}

const MARKDOWN = new Set(['.md', '.markdown']);
/** The extensions a folder is searched for; a file named on the command line is read whatever its name. */
export const IMPORT_EXTENSIONS = ['.md', '.markdown', '.txt', '.json'] as const;
const FOLDER_EXTENSIONS: ReadonlySet<string> = new Set(IMPORT_EXTENSIONS);

/**
 * The files to import, in order: each path as given; a folder is walked depth first with its
 * entries in name order, keeping the files with an import extension and skipping hidden entries
 * (names starting with a dot). A path given twice is read once.
 */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const given of paths) {
    const p = resolve(given);
    const s = await stat(p).catch(() => null);
    if (s === null) throw notFound(`no such file or folder: ${given}`);
    if (!s.isDirectory()) {
      add(p);
      continue;
    }
    const found = await walk(p);
    if (found.length === 0) {
      throw usage(
        `no ${IMPORT_EXTENSIONS.join(', ').replace(/, (?=[^,]*$)/, ' or ')} files in ${given}`,
      );
    }
    found.forEach(add);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && FOLDER_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file's text; a file that is not UTF-8 is refused (an image named .md, a UTF-16 export). */
export async function readText(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    return utf8.decode(bytes);
  } catch {
    throw usage(`${path}: not UTF-8 text`);
  }
}

/** The notes in one file: one per Markdown or text file, one per element of a JSON array. */
export function parseNoteFile(path: string, text: string): ImportNote[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return parseJsonNotes(path, body);
  const title = (MARKDOWN.has(ext) ? titleOfMarkdown(body) : null) ?? parse(path).name;
  return [{ title, content: body, source: path }];
}

function parseJsonNotes(path: string, text: string): ImportNote[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw usage(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(data))
    throw usage(`${path}: expected a JSON array of {"title", "content"} objects`);
  return data.map((item: unknown, i) => {
    const where = `${path}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw usage(`${where}: expected an object with "title" and "content"`);
    }
    const o = item as Record<string, unknown>;
    const extra = Object.keys(o).find((k) => k !== 'title' && k !== 'content');
    if (extra !== undefined)
      throw usage(`${where}: unknown key "${extra}" (only "title" and "content")`);
    if (typeof o.title !== 'string') throw usage(`${where}: "title" must be a string`);
    if (o.content !== undefined && typeof o.content !== 'string') {
      throw usage(`${where}: "content" must be a string`);
    }
    return { title: o.title, content: o.content ?? '', source: where };
  });
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(?:=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(```|~~~)/;
const FRONT_MATTER = /^---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * The text of a Markdown document's first heading: `# ATX` (closing #s dropped) or a setext
 * heading (one line underlined with = or -); outside fenced code and YAML front matter. Null when
 * there is none, or it is empty.
 */
export function titleOfMarkdown(text: string): string | null {
  const lines = text.replace(FRONT_MATTER, '').split(/\r?\n/);
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const f = FENCE.exec(line);
    if (f) {
      if (fence === null) fence = f[1]!;
      else if (f[1] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const atx = ATX.exec(line);
    if (atx) {
      const t = (atx[2] ?? '').trim();
      if (t !== '') return t;
      continue;
    }
    const prev = i > 0 ? lines[i - 1]!.trim() : '';
    const before = i > 1 ? lines[i - 2]!.trim() : '';
    if (SETEXT.test(line) && prev !== '' && before === '' && !ATX.test(lines[i - 1]!)) return prev;
  }
  return null;
}

/**
 * Checks every note against the notes declaration (the engine's own check), so a note that does
 * not fit stops the import before anything is written, naming its file.
 */
export function checkNotes(list: readonly ImportNote[]): void {
  for (const n of list) {
    const problem = checkFields(notesTable, { title: n.title, content: n.content });
    if (problem)
      throw new CliError('usage', `${n.source}: ${problem.message}; nothing was imported`);
  }
}
