import { Option, type Command } from 'commander';

/** The options every database command takes; each also works before the command (`ferry --db X ls`). */
function dbOptions(): Option[] {
  return [
    new Option('--db <path>', 'local database file (default: $XDG_DATA_HOME/ferry/ferry.db)'),
    new Option('--insecure', 'allow plain http:// to a non-loopback server'),
  ];
}

/** Adds the options every database command takes, so `--help` shows them on each command. */
export function dbCommand(parent: Command, name: string): Command {
  const cmd = parent.command(name).exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const o of dbOptions()) cmd.addOption(o);
  return cmd;
}

/**
 * Lets the database options come before the command as well: the program takes them too, and
 * hands them down to the command that runs unless that command was given its own (which wins).
 * Commands read their options only, so this is the one place that knows about the two spots.
 */
export function globalDbOptions(program: Command): void {
  for (const o of dbOptions()) program.addOption(o);
  program.hook('preAction', (root, action) => {
    for (const o of dbOptions()) {
      const key = o.attributeName();
      const given = root.getOptionValue(key) as unknown;
      if (given !== undefined && action.getOptionValue(key) === undefined)
        action.setOptionValue(key, given);
    }
  });
}
