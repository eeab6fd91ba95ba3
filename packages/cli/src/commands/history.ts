import type { Command } from 'commander';
import { resolveNoteId, withSession, type DbOptions } from '../context.ts';
import { usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { printJson } from '../output.ts';
import { deviceLabel } from '@ferry/client';

/** `history`: a note's revisions, kept by the server (this command needs the network). */
export function registerHistoryCommand(program: Command): void {
  dbCommand(program, 'history')
    .description(
      'list the revisions of a note the server keeps, newest first (needs the server); see one with `show ID --rev N`, bring one back with `restore ID --rev N`',
    )
    .argument('<id>', 'note id (or a unique prefix)')
    .option('--limit <n>', 'at most n revisions (default 50)')
    .option(
      '--json',
      'print {revisions: [{version, createdAt, clientId, deviceName, merged, hlc, bytes}], hasMore}',
    )
    .action(async (typed: string, opts: DbOptions & { limit?: string; json?: boolean }) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500))
        throw usage(`--limit must be a whole number from 1 to 500, not ${opts.limit}`);
      await withSession(opts, async ({ ferry }) => {
        const id = await resolveNoteId(ferry, typed);
        const page = await ferry.history(id, limit === undefined ? {} : { limit });
        if (opts.json) return printJson(page);
        for (const r of page.revisions) {
          const who = deviceLabel(r.clientId, ferry.clientId, {
            madeByServer: true,
            name: r.deviceName,
          });
          process.stdout.write(
            `${String(r.version).padStart(5)}  ${r.createdAt}  ${who}${r.merged ? '  merged' : ''}  ${r.bytes} bytes\n`,
          );
        }
        if (page.hasMore)
          process.stdout.write('(older revisions: use --json and `before`, or a larger --limit)\n');
      });
    });
}
