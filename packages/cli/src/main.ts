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

/**
 * Resolves once everything written to `stream` so far has left the process. Writes to a pipe are
 * not synchronous once its buffer (64 KiB) is full: the rest waits in a queue that `process.exit`
 * would throw away (`ferry ls | less` lost most of a long listing).
 */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

// The reader closed the pipe (`ferry ls | head -1`): it wants no more output. Stop quietly, as
// Unix tools do (with the status SIGPIPE gives them), not with an unhandled EPIPE and its stack
// trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.brokenPipe);
  throw err;
});

// No top-level await: the bundle is a CommonJS script (bin/ferry.js runs it with V8's code cache).
void main(process.argv).then(async (code) => {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  // Exit explicitly: a keep-alive socket or an engine timer must not hold a finished command open.
  process.exit(code);
});
