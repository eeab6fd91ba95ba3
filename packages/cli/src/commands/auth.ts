import { hostname } from 'node:os';
import type { Command } from 'commander';
import { withSession, type DbOptions } from '../context.ts';
import { usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { readPassword } from '../password.ts';

interface AuthOpts extends DbOptions {
  server?: string;
  email?: string;
  device?: string;
}

/** signup, login, logout. The password comes from FERRY_PASSWORD or standard input, never a flag. */
export function registerAuthCommands(program: Command): void {
  for (const kind of ['signup', 'login'] as const) {
    dbCommand(program, kind)
      .description(
        kind === 'signup'
          ? 'create an account on a server and sign this database in to it'
          : 'sign this database in to an existing account',
      )
      .requiredOption(
        '--server <url>',
        'the server, e.g. http://127.0.0.1:8787 (https:// unless loopback or --insecure)',
      )
      .requiredOption('--email <email>', 'the account email')
      .option(
        '--device <name>',
        'a name for this device, shown by `history` and `conflicts` on your other devices',
        hostname(),
      )
      .addHelpText(
        'after',
        '\nThe password is read from FERRY_PASSWORD, else from standard input (the first line of a pipe,\nor typed at a terminal without echo).',
      )
      .action(async (opts: AuthOpts) => {
        if (!opts.server || !opts.email) throw usage('--server and --email are required');
        const password = await readPassword(process.env, process.stdin, process.stderr);
        await withSession(opts, async ({ ferry, paths }) => {
          const who =
            kind === 'signup'
              ? await ferry.signup(opts.server!, opts.email!, password, opts.device)
              : await ferry.login(opts.server!, opts.email!, password, opts.device);
          process.stdout.write(
            `${kind === 'signup' ? 'Signed up' : 'Signed in'} as ${who.email ?? opts.email} on ${who.server ?? opts.server}\n`,
          );
          process.stderr.write(`(token saved to ${paths.token}, readable only by you)\n`);
        });
      });
  }

  dbCommand(program, 'logout')
    .description(
      "revoke this device's token (when the server is reachable) and forget it; local notes and queued changes stay",
    )
    .option('--everywhere', 'sign out every device of the account (the server must be reachable)')
    .action(async (opts: DbOptions & { everywhere?: boolean }) => {
      await withSession(opts, async ({ ferry }) => {
        if (opts.everywhere) {
          await ferry.logout({ everywhere: true });
          process.stdout.write('Signed out on every device of this account.\n');
          return;
        }
        const { revoked } = await ferry.logout();
        process.stdout.write(
          revoked
            ? 'Signed out.\n'
            : 'Signed out locally (the server could not be told; the token is forgotten here).\n',
        );
      });
    });
}
