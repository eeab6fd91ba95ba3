import { CommanderError } from 'commander';
import { ExitCode, toCliError } from './errors.ts';
import { buildProgram } from './program.ts';

/**
 * Runs one `ferry` invocation and exits with the code of what happened. Every failure ends here:
 * one message on stderr, one exit code (see errors.ts), never a stack trace for a user error.
 */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'node' });
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help); only the exit code is ours.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return ExitCode.ok;
      return ExitCode.usage;
    }
    const cli = toCliError(err);
    process.stderr.write(`ferry: ${cli.message}\n`);
    if (cli.kind === 'failure' && process.env.FERRY_DEBUG && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
    return cli.exitCode;
  }
}

const code = await main(process.argv);
// Exit explicitly: a keep-alive socket or an engine timer must not hold a finished command open.
// (stdout and stderr are synchronous for files and pipes on Linux, so nothing is cut off.)
process.exit(code);
