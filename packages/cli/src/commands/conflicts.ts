import type { Command } from 'commander';
import { withSession, type DbOptions } from '../context.ts';
import { usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { oneLine, printJson } from '../output.ts';

/** conflicts (list, resolve) and rejected (list, dismiss): what the server did not simply apply. */
export function registerConflictCommands(program: Command): void {
  const conflicts = dbCommand(program, 'conflicts')
    .description('list conflicts the server reported (tables under the version policy); resolve them with `conflicts resolve`')
    .option('--json', 'print a JSON array')
    .action(async (opts: DbOptions & { json?: boolean }) => {
      await withSession(opts, async ({ ferry }) => {
        const list = await ferry.conflicts();
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write('No conflicts.\n');
        for (const c of list) {
          process.stdout.write(`${c.id}  ${c.table} ${c.recordId}  mine: ${oneLine(JSON.stringify(c.mine), 60)}  theirs: ${oneLine(JSON.stringify(c.theirs), 60)}\n`);
        }
      });
    });

  dbCommand(conflicts, 'resolve')
    .description('resolve a conflict: --mine writes your version again, --theirs keeps the server\'s')
    .argument('<id>', 'conflict id (from `ferry conflicts`)')
    .option('--mine', 'keep my change (it is queued again and applies on the next sync)')
    .option('--theirs', 'take the server\'s row')
    .action(async (id: string, opts: DbOptions & { mine?: boolean; theirs?: boolean }) => {
      if (opts.mine === opts.theirs) throw usage('give exactly one of --mine and --theirs');
      await withSession(opts, async ({ ferry }) => {
        await ferry.resolveConflict(id, opts.mine ? 'mine' : 'theirs');
        process.stdout.write(`Resolved (${opts.mine ? 'mine' : 'theirs'}).\n`);
      });
    });

  const rejected = dbCommand(program, 'rejected')
    .description('list local changes the server rejected (they are kept here, not retried)')
    .option('--json', 'print a JSON array')
    .action(async (opts: DbOptions & { json?: boolean }) => {
      await withSession(opts, async ({ ferry }) => {
        const list = await ferry.rejected();
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write('No rejected changes.\n');
        for (const r of list) {
          process.stdout.write(`${r.id}  ${r.op} ${r.table} ${r.recordId}  ${r.code}: ${oneLine(r.message, 80)}\n`);
        }
      });
    });

  dbCommand(rejected, 'dismiss')
    .description('forget a rejected change once you have seen it')
    .argument('<id>', 'rejected change id (from `ferry rejected`)')
    .action(async (id: string, opts: DbOptions) => {
      await withSession(opts, async ({ ferry }) => {
        await ferry.dismissRejected(id);
      });
    });
}
