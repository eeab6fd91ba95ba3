import { Option, type Command } from 'commander';

/** Adds the options every database command takes, so `--help` shows them on each command. */
export function dbCommand(parent: Command, name: string): Command {
  return parent
    .command(name)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addOption(
      new Option('--db <path>', 'local database file (default: $XDG_DATA_HOME/ferry/ferry.db)'),
    )
    .addOption(new Option('--insecure', 'allow plain http:// to a non-loopback server'));
}
