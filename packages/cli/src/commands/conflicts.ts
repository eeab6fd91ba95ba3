import type { Command } from 'commander';
import { withSession, type DbOptions } from '../context.ts';
import { usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { oneLine, printJson } from '../output.ts';
import { deviceLabel, type TextConflict, type TextResolution } from '@ferry/client';

interface ResolveOptions {
  keep?: string;
  content?: string;
  mine?: boolean;
  theirs?: boolean;
}

/** Exactly one way to resolve, from the flags. */
function resolution(opts: ResolveOptions): TextResolution | { version: 'mine' | 'theirs' } {
  const given = [
    opts.keep !== undefined,
    opts.content !== undefined,
    opts.mine === true,
    opts.theirs === true,
  ];
  if (given.filter(Boolean).length !== 1)
    throw usage('give exactly one of --keep, --content, --mine and --theirs');
  if (opts.keep !== undefined) {
    if (opts.keep !== 'this' && opts.keep !== 'other' && opts.keep !== 'both')
      throw usage(`--keep takes this, other or both, not ${opts.keep}`);
    return { keep: opts.keep };
  }
  if (opts.content !== undefined) return { content: opts.content };
  return { version: opts.mine ? 'mine' : 'theirs' };
}

/** One text conflict for people: where, and each overlap's two versions. */
function formatTextConflict(c: TextConflict, me: string): string {
  const side = (client: string | null, name: string | null): string =>
    deviceLabel(client, me, { name });
  const lines = [
    `${c.id}  ${c.table} ${c.recordId} ${c.field}  ${c.hunks.length} overlap${c.hunks.length === 1 ? '' : 's'}  (text keeps ${side(c.keptClientId, c.keptDeviceName)}; other: ${side(c.otherClientId, c.otherDeviceName)})`,
  ];
  for (const h of c.hunks)
    lines.push(
      `    kept:  ${JSON.stringify(oneLine(h.kept, 70))}`,
      `    other: ${JSON.stringify(oneLine(h.other, 70))}`,
    );
  return lines.join('\n');
}

/** conflicts (list, resolve) and rejected (list, dismiss): what the server did not simply apply. */
export function registerConflictCommands(program: Command): void {
  const conflicts = dbCommand(program, 'conflicts')
    .description(
      "list open conflicts: overlapping edits of a note's text (every device sees them) and stale edits of tables under the version policy; resolve them with `conflicts resolve`",
    )
    .option('--json', 'print a JSON array; each item has kind "text" or "version"')
    .action(async (opts: DbOptions & { json?: boolean }) => {
      await withSession(opts, async ({ ferry }) => {
        const texts = await ferry.textConflicts();
        const versions = await ferry.conflicts();
        if (opts.json) {
          return printJson([
            ...texts.map((c) => ({
              kind: 'text',
              ...c,
              keptIsThisDevice: c.keptClientId === ferry.clientId,
            })),
            ...versions.map((c) => ({ kind: 'version', ...c })),
          ]);
        }
        if (texts.length + versions.length === 0)
          return void process.stdout.write('No conflicts.\n');
        for (const c of texts) process.stdout.write(`${formatTextConflict(c, ferry.clientId)}\n`);
        for (const c of versions) {
          process.stdout.write(
            `${c.id}  ${c.table} ${c.recordId}  mine: ${oneLine(JSON.stringify(c.mine), 60)}  theirs: ${oneLine(JSON.stringify(c.theirs), 60)}\n`,
          );
        }
      });
    });

  dbCommand(conflicts, 'resolve')
    .description(
      "resolve a conflict. Text: --keep this (the note as it is), --keep other (the version set aside), --keep both, or --content TEXT (new text for the note); the edit syncs like any other. Version policy: --mine writes your version again, --theirs keeps the server's",
    )
    .argument('<id>', 'conflict id (from `ferry conflicts`)')
    .option('--keep <which>', 'text conflict: this, other or both')
    .option('--content <text>', "text conflict: the note's new text")
    .option(
      '--mine',
      'version conflict: keep my change (it is queued again and applies on the next sync)',
    )
    .option('--theirs', "version conflict: take the server's row")
    .action(async (id: string, opts: DbOptions & ResolveOptions) => {
      const how = resolution(opts);
      await withSession(opts, async ({ ferry }) => {
        if ('keep' in how || 'content' in how) {
          const open = (await ferry.textConflicts()).some((c) => c.id === id);
          if (!open && (await ferry.conflicts()).some((c) => c.id === id))
            throw usage('this is a version conflict: give --mine or --theirs');
          await ferry.resolveTextConflict(id, how);
          process.stdout.write(
            `Resolved (${'keep' in how ? `keep ${how.keep}` : 'new content'}).\n`,
          );
          return;
        }
        if ((await ferry.textConflicts()).some((c) => c.id === id))
          throw usage('this is a text conflict: give --keep this|other|both or --content TEXT');
        await ferry.resolveConflict(id, how.version);
        process.stdout.write(`Resolved (${how.version}).\n`);
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
          process.stdout.write(
            `${r.id}  ${r.op} ${r.table} ${r.recordId}  ${r.code}: ${oneLine(r.message, 80)}\n`,
          );
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
