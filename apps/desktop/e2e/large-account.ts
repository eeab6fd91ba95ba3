/**
 * The end-to-end large-account step (issue 12): an account that already holds
 * FERRY_E2E_LARGE_NOTES notes (20 000; 0 skips the step), pushed to the real server by another
 * device before a fresh app signs in to it. During the app's first sync the step checks that the
 * badge says "Syncing… N of M notes", that a search answers within SEARCH_BOUND_MS while pages are
 * being written, and that a note edited in the app reaches the `ferry` CLI (a second device) while
 * the pull is still going; at the end, that the badge says synced and every note is there.
 *
 * The app talks to the server through a slow link (slow-link.ts: each sync answer held back
 * LINK_DELAY_MS), so the first sync lasts long enough to do those things during it; the pages
 * keep the server's usual size (1 000 notes).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { badgeOf, launchApp, progressOf, signIn, timedSearch } from './app-driver.ts';
import { seedAccount, seededContent, seededTitle } from './seed-account.ts';
import { startSlowLink } from './slow-link.ts';
import { waitUntil } from './webdriver.ts';

/**
 * The test's bound on one search during a first sync. The product's promise is 150 ms on this
 * machine's release build (docs/desktop.md; `npm run bench:desktop` measures it, and the debug
 * build has not met it yet); the test allows ten times that for debug builds on a loaded CI
 * machine: it fails when a search waits behind the sync's writes (up to 2.2 s before the
 * read-only connection) or when the list drops answers while pages arrive (up to 14 s before).
 */
export const SEARCH_BOUND_MS = 1500;
const LINK_DELAY_MS = 700;

/** What the step needs from the runner. */
export interface LargeAccountContext {
  /** The app binary. */
  readonly app: string;
  /** A scratch directory. */
  readonly work: string;
  /** The running server. */
  readonly server: string;
  readonly repo: string;
  /** Where a screenshot of a failure goes. */
  readonly artifacts: string;
  /** Names the step (the runner reports it if something fails). */
  begin(name: string): void;
  log(msg: string): void;
}

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

/** Runs the large-account step; returns quietly when FERRY_E2E_LARGE_NOTES is 0. */
export async function largeAccountStep(ctx: LargeAccountContext): Promise<void> {
  const notes = Number(process.env.FERRY_E2E_LARGE_NOTES ?? 20_000);
  if (notes === 0) return ctx.log('large-account step skipped (FERRY_E2E_LARGE_NOTES=0)');
  check(notes >= 2_000, 'FERRY_E2E_LARGE_NOTES is 0 or at least 2 000');
  const email = `large-${Date.now()}@example.com`;
  const password = 'large account battery';
  const cliDb = join(ctx.work, 'cli-large.db');
  const exec = promisify(execFile);
  const cli = async (...args: string[]): Promise<string> =>
    (
      await exec(join(ctx.repo, 'node_modules/.bin/ferry'), [...args, '--db', cliDb], {
        env: { ...process.env, FERRY_PASSWORD: password },
        timeout: 120_000,
      })
    ).stdout;

  ctx.begin(`large account: ${notes} notes pushed by another device`);
  const seeded = await seedAccount(ctx.server, email, password, notes);
  ctx.log(`  seeded ${notes} notes in ${seeded.toFixed(1)} s`);
  // The CLI is a second device that already has the account (its later syncs are small).
  await cli('login', '--server', ctx.server, '--email', email);
  const cliStart = performance.now();
  await cli('sync');
  ctx.log(`  the CLI's first sync: ${((performance.now() - cliStart) / 1000).toFixed(1)} s`);

  const link = await startSlowLink(ctx.server, LINK_DELAY_MS);
  const app = await launchApp({
    app: ctx.app,
    dataDir: join(ctx.work, 'large-app-data'),
    serverUrl: link.url,
  });
  const s = app.session;
  try {
    ctx.begin('large account: sign in; the badge shows syncing with progress');
    check((await badgeOf(s)).state === 'signed-out', 'a fresh app is signed out');
    const signInAt = performance.now();
    await signIn(s, email, password);
    let first: { pulled: number; total: number } | null = null;
    await waitUntil(
      'the badge to show progress',
      async () => {
        const b = await badgeOf(s);
        first = b.state === 'syncing' ? progressOf(b.text) : null;
        return first !== null && first.pulled > 0;
      },
      60_000,
      50,
    );
    const progress = first as { pulled: number; total: number } | null;
    check(progress && progress.total === notes, `progress counts all ${notes} notes`);
    check(progress.pulled < notes, 'progress was seen before the end');
    ctx.log(`  badge: "${(await badgeOf(s)).text}"`);

    ctx.begin('large account: a search during the first sync');
    // Note 7 came with the first page; "note 7." is in its text only.
    const { ms, shown } = await timedSearch(s, 'note 7.', [seededTitle(7)]);
    const during = await badgeOf(s);
    ctx.log(`  search answered in ${ms.toFixed(0)} ms; badge then: "${during.text}"`);
    check(ms >= 0, `the search answered (the list showed ${JSON.stringify(shown)})`);
    check(during.state === 'syncing', 'the search was made during the sync');
    check(ms < SEARCH_BOUND_MS, `the search answered within ${SEARCH_BOUND_MS} ms (${ms} ms)`);

    ctx.begin('large account: an edit during the first sync reaches the CLI before the pull ends');
    const id = await s.attribute('[data-testid="note-item"]', 'data-id');
    check(id, 'the search result has an id');
    await s.click(`[data-testid="note-item"][data-id="${id}"]`);
    await waitUntil(
      'the note to open',
      async () => (await s.attribute('[data-testid="editor"]', 'data-id')) === id,
    );
    const edit = ' Edited in the app during its first sync.';
    await s.type('[data-testid="editor-content"]', edit);
    let cliSaw = false;
    await waitUntil(
      'the CLI to see the edit',
      async () => {
        await cli('sync');
        const n = JSON.parse(await cli('show', id, '--json')) as { content: string };
        cliSaw = n.content === seededContent(7) + edit;
        return cliSaw;
      },
      60_000,
      100,
    );
    const then = await badgeOf(s);
    const left = progressOf(then.text);
    ctx.log(`  the CLI has the edit; the app's badge: "${then.text}"`);
    check(
      then.state === 'syncing' && left !== null && left.pulled < left.total,
      `the app was still pulling when the CLI had the edit (badge: "${then.text}")`,
    );

    ctx.begin('large account: synced at the end, every note there');
    await waitUntil(
      'the badge to say synced',
      async () => (await badgeOf(s)).state === 'synced',
      300_000,
      250,
    );
    const seconds = (performance.now() - signInAt) / 1000;
    ctx.log(
      `  first sync of ${notes} notes through the slow link: ${seconds.toFixed(1)} s (sign-in to synced)`,
    );
    const last = notes - 1;
    const newest = await timedSearch(s, `note ${last}.`, [seededTitle(last)]);
    check(newest.ms >= 0, 'the newest note is there');
    // Counted on the app's own read-only connection.
    const count = await s.executeAsync<number>(
      "const done = arguments[0]; window.__TAURI_INTERNALS__.invoke('db_read', { sql: 'SELECT COUNT(*) FROM notes', params: [] }).then((r) => { const v = r.rows[0][0]; done(Number(v?.$int ?? v)); }, (e) => done(-1));",
    );
    check(count === notes, `the app holds ${notes} notes (${count})`);
  } catch (e) {
    await s.screenshot(join(ctx.artifacts, 'failed-large-account.png')).catch(() => undefined);
    throw e;
  } finally {
    await app.close();
    await link.close();
  }
}
