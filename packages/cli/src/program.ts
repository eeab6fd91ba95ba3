import { Command, type OutputConfiguration } from 'commander';
import { registerAuthCommands } from './commands/auth.ts';
import { registerConflictCommands } from './commands/conflicts.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerNoteCommands } from './commands/notes.ts';
import { registerNotebookCommands } from './commands/notebooks.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSyncCommands } from './commands/sync.ts';
import { globalDbOptions } from './options.ts';

/**
 * The `ferry` command tree. Each command group lives in its own file under commands/. `output`
 * redirects commander's own messages (help, usage errors), e.g. to capture them in a test.
 */
export function buildProgram(output?: OutputConfiguration): Command {
  const program = new Command('ferry');
  if (output) program.configureOutput(output);
  program
    .description(
      'Offline-first notes: write locally first, sync later.\nEvery command works on one local database (--db); writes never wait for the network.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Options after a subcommand belong to it (`ferry conflicts resolve ID --db X`).
    .enablePositionalOptions()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure, 2 usage, 3 server unreachable, 4 auth, 5 not found,
            6 sync incomplete, 7 refused by the server.
Environment: FERRY_PASSWORD (signup/login), FERRY_DB (default for --db), XDG_DATA_HOME.
See docs/cli.md.`,
  );
  globalDbOptions(program);
  registerAuthCommands(program);
  registerNoteCommands(program);
  registerNotebookCommands(program);
  registerImportCommand(program);
  registerSyncCommands(program);
  registerConflictCommands(program);
  registerHistoryCommand(program);
  registerServeCommand(program);
  return program;
}
