import type { Command } from 'commander';
import { notFound, usage } from '../errors.ts';
import { resolveNoteId, withSession, type DbOptions } from '../context.ts';
import { LINE_FIELDS, formatNote, formatNoteLine, noteJson, printJson } from '../output.ts';
import { dbCommand } from '../options.ts';
import { formatTextBase, parseTextBase } from '../text-base-arg.ts';
import { resolveNotebook } from './notebooks.ts';

interface ListOpts extends DbOptions {
  deleted?: boolean;
  trash?: boolean;
  json?: boolean;
  search?: string;
  limit?: string;
  notebook?: string;
}

interface EditOpts extends DbOptions {
  title?: string;
  content?: string;
  base?: string;
}

/** add, edit, rm, restore, ls, show: local writes and reads, never the network. */
export function registerNoteCommands(program: Command): void {
  dbCommand(program, 'add')
    .description('create a note locally; prints its id')
    .argument('<title>', 'the title')
    .option('--content <text>', 'the body', '')
    .action(async (title: string, opts: DbOptions & { content: string }) => {
      await withSession(opts, async ({ ferry }) => {
        const note = await ferry.tables.notes.create({ title, content: opts.content });
        process.stdout.write(`${note.id}\n`);
      });
    });

  dbCommand(program, 'edit')
    .description('change the title and/or content of a note (also of a deleted one)')
    .argument('<id>', 'note id (or a unique prefix)')
    .option('--title <title>', 'new title')
    .option('--content <text>', 'new body')
    .option(
      '--base <base>',
      'the textBase `show --json` printed when you read the text: merge against that text',
    )
    .action(async (typed: string, opts: EditOpts) => {
      if (opts.title === undefined && opts.content === undefined)
        throw usage('nothing to change: give --title and/or --content');
      const base = opts.base === undefined ? {} : { base: parseTextBase(opts.base) };
      await withSession(opts, async ({ ferry }) => {
        const id = await resolveNoteId(ferry, typed);
        const patch = {
          ...(opts.title === undefined ? {} : { title: opts.title }),
          ...(opts.content === undefined ? {} : { content: opts.content }),
        };
        await ferry.tables.notes.update(id, patch, base);
      });
    });

  dbCommand(program, 'rm')
    .description('delete a note (soft delete: `ferry restore` brings it back)')
    .argument('<id>', 'note id (or a unique prefix)')
    .action(async (typed: string, opts: DbOptions) => {
      await withSession(opts, async ({ ferry }) => {
        await ferry.tables.notes.remove(await resolveNoteId(ferry, typed));
      });
    });

  dbCommand(program, 'restore')
    .description(
      "bring back a deleted note; with --rev, make an earlier revision the note's text again (a new edit that syncs; needs the server)",
    )
    .argument('<id>', 'note id (or a unique prefix)')
    .option('--rev <n>', 'the revision to bring back (from `ferry history`)')
    .action(async (typed: string, opts: DbOptions & { rev?: string }) => {
      const rev = revision(opts.rev);
      await withSession(opts, async ({ ferry }) => {
        const id = await resolveNoteId(ferry, typed);
        if (rev === undefined) await ferry.tables.notes.restore(id);
        else await ferry.restoreRevision(id, rev);
      });
    });

  dbCommand(program, 'ls')
    .description('list notes, most recently updated first (* = not yet synced, D = deleted)')
    .option('--deleted', 'include deleted notes')
    .option('--trash', 'only deleted notes')
    .option(
      '--search <text>',
      'only notes whose title or content contains the text (case-insensitive)',
    )
    .option('--limit <n>', 'at most n notes')
    .option('--notebook <notebook>', 'only notes in this notebook (name or id)')
    .option(
      '--json',
      'print a JSON array of rows with the fields id, title, content, created_at, updated_at, deleted_at, version, synced',
    )
    .action(async (opts: ListOpts) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
        throw usage(`--limit must be a whole number, not ${opts.limit}`);
      await withSession(opts, async ({ ferry }) => {
        const book =
          opts.notebook === undefined ? null : (await resolveNotebook(ferry, opts.notebook)).id;
        const filter = {
          deleted: opts.trash ? ('only' as const) : opts.deleted === true,
          ...(opts.search === undefined ? {} : { search: opts.search }),
          ...(book === null ? {} : { where: { notebook_id: book } }),
          ...(limit === undefined ? {} : { limit }),
        };
        if (opts.json) return printJson((await ferry.tables.notes.list(filter)).map(noteJson));
        // Only the columns a line shows: reading every note's text costs time and memory.
        const rows = await ferry.tables.notes.list({ ...filter, fields: LINE_FIELDS });
        // One write: a write per line costs a buffer and a syscall each (~50 ms for 10 000 notes).
        if (rows.length > 0) process.stdout.write(`${rows.map(formatNoteLine).join('\n')}\n`);
      });
    });

  dbCommand(program, 'show')
    .description('print one note; with --rev, one of its revisions (needs the server)')
    .argument('<id>', 'note id (or a unique prefix)')
    .option('--json', 'print the row as JSON')
    .option('--rev <n>', 'the revision to print (from `ferry history`)')
    .action(async (typed: string, opts: DbOptions & { json?: boolean; rev?: string }) => {
      const rev = revision(opts.rev);
      await withSession(opts, async ({ ferry }) => {
        const id = await resolveNoteId(ferry, typed);
        if (rev !== undefined) {
          const r = await ferry.revision(id, rev);
          if (opts.json) return printJson(r);
          const who = r.clientId === ferry.clientId ? 'this device' : (r.clientId ?? 'server');
          const head = [
            `id:         ${id}`,
            `revision:   ${r.version}${r.merged ? ' (merged)' : ''}`,
            `created_at: ${r.createdAt}`,
            `by:         ${who}`,
          ];
          if (typeof r.fields.title === 'string') head.push(`title:      ${r.fields.title}`);
          return void process.stdout.write(
            `${head.join('\n')}\n\n${typeof r.fields.content === 'string' ? r.fields.content : ''}\n`,
          );
        }
        const read = await ferry.tables.notes.getForEdit(id);
        if (!read) throw notFound(`no note with id ${typed}`);
        const note = noteJson(read.row);
        if (opts.json) printJson({ ...note, textBase: formatTextBase(read.base) });
        else process.stdout.write(`${formatNote(note)}\n`);
      });
    });
}

/** The value of --rev: a revision number, or undefined when not given. */
function revision(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw usage(`--rev must be a revision number (1, 2, ...), not ${raw}`);
  return n;
}
