import type { Command } from 'commander';
import type { Notebook } from '@ferry/protocol';
import { resolveNoteId, withSession, type DbOptions, type NotesFerry } from '../context.ts';
import { notFound, usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { oneLine, printJson } from '../output.ts';

/** A notebook as `notebooks --json` prints it. */
interface NotebookJson {
  id: string;
  name: string;
  /** Notes in it, deleted ones left out. */
  notes: number;
  created_at: string;
  updated_at: string;
  version: number;
  synced: 0 | 1;
}

/**
 * The notebook the user named: an exact name, a name differing only in case, or an id (or a
 * unique prefix of one, 4 characters at least).
 */
export async function resolveNotebook(ferry: NotesFerry, typed: string): Promise<Notebook> {
  const all = await ferry.tables.notebooks.list();
  const exact = all.filter((b) => b.name === typed);
  const folded =
    exact.length > 0 ? exact : all.filter((b) => b.name.toLowerCase() === typed.toLowerCase());
  const byId =
    folded.length > 0 || typed.length < 4
      ? folded
      : all.filter((b) => b.id.startsWith(typed.toLowerCase()));
  if (byId.length === 0) throw notFound(`no notebook named ${JSON.stringify(typed)}`);
  if (byId.length > 1)
    throw usage(`${byId.length} notebooks match ${JSON.stringify(typed)}; give its id`);
  return byId[0]!;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw usage('a notebook needs a name');
  return trimmed;
}

/** notebooks (list, add, rename, rm) and mv: notes grouped in named notebooks. */
export function registerNotebookCommands(program: Command): void {
  const notebooks = dbCommand(program, 'notebooks')
    .description('list notebooks with how many notes each holds; add, rename and rm them')
    .option(
      '--json',
      'print a JSON array of {id, name, notes, created_at, updated_at, version, synced}',
    )
    .action(async (opts: DbOptions & { json?: boolean }) => {
      await withSession(opts, async ({ ferry }) => {
        const books = await ferry.tables.notebooks.list();
        const counts = new Map<string, number>();
        for (const n of await ferry.tables.notes.list())
          if (n.notebook_id !== null)
            counts.set(n.notebook_id, (counts.get(n.notebook_id) ?? 0) + 1);
        const rows: NotebookJson[] = books
          .map((b) => ({
            id: b.id,
            name: b.name,
            notes: counts.get(b.id) ?? 0,
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
            synced: b.synced === 1 ? (1 as const) : (0 as const),
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
        if (opts.json) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write('No notebooks.\n');
        for (const r of rows)
          process.stdout.write(
            `${r.id}  ${r.synced === 1 ? ' ' : '*'}  ${oneLine(r.name)}  (${r.notes} note${r.notes === 1 ? '' : 's'})\n`,
          );
      });
    });

  dbCommand(notebooks, 'add')
    .description('create a notebook locally; prints its id')
    .argument('<name>', 'the name')
    .action(async (name: string, opts: DbOptions) => {
      await withSession(opts, async ({ ferry }) => {
        const book = await ferry.tables.notebooks.create({ name: checkName(name) });
        process.stdout.write(`${book.id}\n`);
      });
    });

  dbCommand(notebooks, 'rename')
    .description('rename a notebook')
    .argument('<notebook>', 'name or id of the notebook')
    .argument('<name>', 'its new name')
    .action(async (typed: string, name: string, opts: DbOptions) => {
      await withSession(opts, async ({ ferry }) => {
        const book = await resolveNotebook(ferry, typed);
        await ferry.tables.notebooks.update(book.id, { name: checkName(name) });
      });
    });

  dbCommand(notebooks, 'rm')
    .description('delete a notebook (soft delete); its notes stay, listed without a notebook')
    .argument('<notebook>', 'name or id of the notebook')
    .action(async (typed: string, opts: DbOptions) => {
      await withSession(opts, async ({ ferry }) => {
        await ferry.tables.notebooks.remove((await resolveNotebook(ferry, typed)).id);
      });
    });

  dbCommand(program, 'mv')
    .description('move a note into a notebook (--none: out of any notebook)')
    .argument('<id>', 'note id (or a unique prefix)')
    .argument('[notebook]', 'name or id of the notebook')
    .option('--none', 'take the note out of its notebook')
    .action(
      async (typed: string, book: string | undefined, opts: DbOptions & { none?: boolean }) => {
        if ((book === undefined) === (opts.none !== true))
          throw usage('give a notebook, or --none to take the note out of its notebook');
        await withSession(opts, async ({ ferry }) => {
          const id = await resolveNoteId(ferry, typed);
          const target = book === undefined ? null : (await resolveNotebook(ferry, book)).id;
          await ferry.tables.notes.update(id, { notebook_id: target });
        });
      },
    );
}
