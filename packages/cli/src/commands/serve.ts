import { ferrySchema } from '@ferry/protocol';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { untilStopSignal } from '../signals.ts';

/**
 * `ferry serve`: the Ferry server in this process, serving Ferry's tables, so one command brings
 * a server up. Flags and
 * environment variables are the server's own (parsed by its loadConfig); `--help` lists them.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'start the Ferry server in this process (until Ctrl-C); flags as for the server, see `ferry serve --help`',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'server flags, e.g. --port 8787 --database-url postgres://...')
    .action(async (flags: string[]) => {
      const wantsHelp = flags.includes('--help') || flags.includes('-h');
      // Loaded on demand: the server's dependencies would slow down every other command.
      const { loadConfig, startCluster, createServer, wantsCluster } =
        await import('@ferry/server');
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(process.env, flags);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (wantsHelp) {
          process.stdout.write(
            `Usage: ferry serve [flags]\n\nStarts the Ferry sync server in this process. Each flag can also be set by the\nenvironment variable next to it; flags win. Without a database URL an embedded\nPostgreSQL is started in the data directory.\n\n${message.replace(/^usage: ferry-server \[flags\]\n/, '')}\n`,
          );
          return;
        }
        throw new CliError('usage', message);
      }
      // --workers N: this process supervises N workers, each of which runs `ferry serve` again.
      const server = wantsCluster(config)
        ? await startCluster(config, (_level, msg) => process.stderr.write(`${msg}\n`))
        : await createServer({ ...config, ...ferrySchema });
      process.stderr.write(`Ferry server listening on ${server.url} (Ctrl-C stops it)\n`);
      await untilStopSignal();
      process.stderr.write('Stopping...\n');
      await server.close();
    });
}
