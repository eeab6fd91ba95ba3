import type { Command } from 'commander';
import { createScheduler, type SyncStatus } from '@ferry/client';
import { openSession, withSession, type DbOptions } from '../context.ts';
import { CliError, usage } from '../errors.ts';
import { dbCommand } from '../options.ts';
import { formatStatus, printJson } from '../output.ts';
import { progressReporter, watchProgress } from '../progress.ts';
import { untilStopSignal } from '../signals.ts';

interface SyncOpts extends DbOptions {
  progress?: boolean;
  json?: boolean;
}

/** sync, watch, status. */
export function registerSyncCommands(program: Command): void {
  dbCommand(program, 'sync')
    .description(
      'push every queued change and pull until up to date; exits 0 only when both are complete',
    )
    .option('--progress', 'print progress on stderr even when it is not a terminal')
    .option('--json', 'print {pushed, pulled, complete, pending} as JSON')
    .action(async (opts: SyncOpts) => {
      await withSession(opts, async (session) => {
        const { ferry } = session;
        const progress = progressReporter(
          process.stderr,
          opts.progress === true || process.stderr.isTTY === true,
        );
        const stopProgress = watchProgress(session, progress.update);
        let outcome;
        try {
          outcome = await ferry.sync();
        } finally {
          stopProgress();
          progress.done();
        }
        const status = ferry.status();
        const rejected = (await ferry.rejected()).length;
        const conflicts = (await ferry.conflicts()).length;
        if (opts.json) printJson({ ...outcome, pending: status.pending });
        else
          process.stdout.write(
            `Pushed ${outcome.pushed}, pulled ${outcome.pulled}; ${status.pending} pending.\n`,
          );
        if (rejected > 0)
          process.stderr.write(
            `ferry: ${rejected} change(s) were rejected by the server: see \`ferry rejected\`\n`,
          );
        if (conflicts > 0)
          process.stderr.write(
            `ferry: ${conflicts} conflict(s) to resolve: see \`ferry conflicts\`\n`,
          );
        if (!outcome.complete) {
          throw new CliError(
            'incomplete',
            `sync incomplete: ${status.pending} change(s) still queued${status.lastError ? ` (${status.lastError.message})` : ''}; run \`ferry sync\` again`,
          );
        }
      });
    });

  dbCommand(program, 'status')
    .description('show the sync state, queued changes, last successful sync and server')
    .option('--json', 'print {state, pending, lastSyncAt, server} as JSON')
    .action(async (opts: SyncOpts) => {
      await withSession(opts, ({ ferry }) => {
        const s = ferry.status();
        if (opts.json)
          printJson({
            state: s.state,
            pending: s.pending,
            lastSyncAt: s.lastSyncAt,
            server: s.server,
          });
        else process.stdout.write(`${formatStatus(s)}\n`);
        return Promise.resolve();
      });
    });

  dbCommand(program, 'watch')
    .description(
      'sync continuously (on start, every interval, on server pokes) with a live status line; Ctrl-C stops',
    )
    .option('--interval <seconds>', 'seconds between periodic syncs', '30')
    .action(async (opts: DbOptions & { interval: string }) => {
      const seconds = Number(opts.interval);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw usage(`--interval must be a positive number of seconds, not ${opts.interval}`);
      const { ferry } = await openSession(opts);
      const line = statusLine(process.stderr);
      const unsubscribe = ferry.subscribe((e) => {
        if (e.type === 'status') line.show(e.status);
      });
      line.show(ferry.status());
      const scheduler = createScheduler(ferry, {
        intervalMs: seconds * 1000,
        onError: () => undefined, // shown by the status line
      });
      scheduler.start();
      await untilStopSignal();
      scheduler.stop();
      unsubscribe();
      line.end();
      // The scheduler is stopped (it starts no sync now); close() waits for the one in flight, if
      // any, so nothing is cut half-way.
      await ferry.close();
      const s = await withSession(opts, (session) => Promise.resolve(session.ferry.status()));
      process.stderr.write(`Stopped; ${s.pending} change(s) pending.\n`);
    });
}

/** One status line: rewritten in place on a terminal, a new line per change otherwise. */
function statusLine(out: NodeJS.WriteStream): { show(s: SyncStatus): void; end(): void } {
  let last = '';
  return {
    show(s) {
      const time = new Date().toISOString().slice(11, 19);
      const text = `${s.state} · ${s.pending} pending · last sync ${s.lastSyncAt ? s.lastSyncAt.slice(11, 19) : 'never'}${s.lastError && s.state !== 'idle' ? ` · ${s.lastError.message}` : ''}`;
      if (text === last) return;
      last = text;
      if (out.isTTY) out.write(`\r\u001b[2K[${time}] ${text}`);
      else out.write(`[${time}] ${text}\n`);
    },
    end() {
      if (out.isTTY) out.write('\n');
    },
  };
}
