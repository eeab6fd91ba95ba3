import type { Command } from 'commander';
import { withSession, type DbOptions } from '../context.ts';
import { CliError } from '../errors.ts';
import {
  checkNotes,
  collectFiles,
  IMPORT_EXTENSIONS,
  parseNoteFile,
  readText,
  type ImportNote,
} from '../import-files.ts';
import { printJson } from '../output.ts';
import { barReporter } from '../progress.ts';
import { dbCommand } from '../options.ts';

interface ImportOpts extends DbOptions {
  json?: boolean;
  progress?: boolean;
}

/** Files read at once: enough to hide the latency of each read, few enough to stay under the open-files limit. */
const READ_CONCURRENCY = 32;

/** `ferry import`: notes from files, created locally in one transaction (all or nothing). */
export function registerImportCommand(program: Command): void {
  dbCommand(program, 'import')
    .description(
      `create notes from files and folders (${IMPORT_EXTENSIONS.join(' ')}) in ONE local transaction: all or nothing`,
    )
    .argument(
      '<paths...>',
      'Markdown or text files (one note each), JSON files (an array of {"title", "content"}), or folders of them',
    )
    .option('--json', 'print a JSON array of {id, title, source} for the new notes')
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .action(async (paths: string[], opts: ImportOpts) => {
      const bar = barReporter(
        process.stderr,
        opts.progress === true || process.stderr.isTTY === true,
      );
      try {
        const files = await collectFiles(paths);
        const notes = await readAll(files, (done) => bar.update('reading', done, files.length));
        checkNotes(notes);
        bar.note(
          `writing ${notes.length} ${notes.length === 1 ? 'note' : 'notes'} in one transaction…`,
        );
        const created = await withSession(opts, ({ ferry }) =>
          ferry.tables.notes.createMany(notes.map((n) => ({ title: n.title, content: n.content }))),
        );
        bar.done();
        if (opts.json) {
          printJson(
            created.map((n, i) => ({ id: n.id, title: n.title, source: notes[i]!.source })),
          );
        } else {
          process.stdout.write(
            `Imported ${plural(created.length, 'note')} from ${plural(files.length, 'file')}.\n`,
          );
        }
      } catch (err) {
        bar.done();
        throw nothingImported(err);
      }
    });
}

/** Reads and parses every file, in order, a few at a time. */
async function readAll(
  files: readonly string[],
  progress: (done: number) => void,
): Promise<ImportNote[]> {
  const out: ImportNote[][] = [];
  progress(0);
  for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
    const chunk = files.slice(i, i + READ_CONCURRENCY);
    out.push(...(await Promise.all(chunk.map(async (f) => parseNoteFile(f, await readText(f))))));
    progress(Math.min(files.length, i + READ_CONCURRENCY));
  }
  return out.flat();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A refusal says that nothing was written (the import is one transaction). */
function nothingImported(err: unknown): unknown {
  if (!(err instanceof CliError) || err.message.includes('nothing was imported')) return err;
  return new CliError(err.kind, `${err.message}; nothing was imported`);
}
