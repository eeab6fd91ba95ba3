/* eslint-disable no-console -- a test runner: its output is the report */
/**
 * The desktop app end to end, in a real window (Xvfb + WebKitWebDriver), started by
 * `scripts/desktop-e2e.sh`, which builds the app, provides the display, a D-Bus session and a
 * fresh PostgreSQL database. This script owns the processes it starts (WebKitWebDriver, the
 * server) and stops them whatever happens.
 *
 * The story: the driver suites run inside the app; with the server down, notes are written and
 * edited in the UI; the server comes up, the app signs up and syncs; the `ferry` CLI, as a second
 * device, sees the notes, edits one, and the app shows the edit; the server goes down again, the
 * app shows "offline" with a pending change, and catches up when the server is back; a note
 * edited offline in the app and on the CLI (other lines) merges; an overlapping edit shows the
 * conflict marker and is resolved in the app, the CLI sees the resolution; the history view
 * restores an earlier version.
 */
import { hostname } from 'node:os';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat, copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BACKSPACE, CTRL, ENTER, NULL_KEY, WebDriverSession, waitUntil } from './webdriver.ts';
import { largeAccountStep } from './large-account.ts';
import { badgeOf } from './app-driver.ts';
import { buildWebApp, openWebDevice } from './web-device.ts';

const exec = promisify(execFile);

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (run scripts/desktop-e2e.sh)`);
  return v;
}

const repo = resolve(import.meta.dirname, '../../..');
const app = need('FERRY_E2E_APP');
const work = need('FERRY_E2E_WORK');
const artifacts = need('FERRY_E2E_ARTIFACTS');
const databaseUrl = need('FERRY_E2E_DATABASE_URL');
const serverPort = Number(need('FERRY_E2E_SERVER_PORT'));
const driverPort = Number(need('FERRY_E2E_DRIVER_PORT'));
const server = `http://127.0.0.1:${serverPort}`;
const dataDir = join(work, 'app-data');
const cliDb = join(work, 'cli.db');
const email = `desktop-e2e-${Date.now()}@example.com`;
const password = 'e2e correct horse battery';

const children: ChildProcess[] = [];
let step = 'start';

function log(msg: string): void {
  console.log(`[desktop-e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function begin(name: string): void {
  step = name;
  log(`— ${name}`);
}

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

function startProcess(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  children.push(child);
  const prefix = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n'))
      if (line.trim() && process.env.FERRY_E2E_VERBOSE) console.log(`  [${name}] ${line}`);
  };
  child.stdout?.on('data', prefix);
  child.stderr?.on('data', prefix);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

let serverProcess: ChildProcess | null = null;

let webRoot: Promise<string> = Promise.reject(new Error('the web app is built in main()'));
webRoot.catch(() => undefined);

async function startServer(): Promise<void> {
  // node itself (not npx), so SIGTERM reaches the server and it shuts down in order.
  serverProcess = startProcess(
    'server',
    process.execPath,
    ['--conditions=ferry-source', '--import', 'tsx', join(repo, 'packages/server/src/main.ts')],
    {
      ...process.env,
      PORT: String(serverPort),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      FERRY_WEB_ROOT: await webRoot,
    },
  );
  await waitUntil('the server to be ready', () => httpOk(`${server}/readyz`), 60_000, 300);
}

async function stopServer(): Promise<void> {
  if (serverProcess) await stopProcess(serverProcess);
  serverProcess = null;
  check(!(await httpOk(`${server}/healthz`)), 'the server is down');
}

async function ferry(...args: string[]): Promise<string> {
  const { stdout } = await exec(join(repo, 'node_modules/.bin/ferry'), [...args, '--db', cliDb], {
    cwd: repo,
    env: { ...process.env, FERRY_PASSWORD: password },
    timeout: 60_000,
  });
  return stdout;
}

interface CliNote {
  id: string;
  title: string;
  content: string;
  deleted_at: string | null;
}

async function cliNotes(): Promise<CliNote[]> {
  return JSON.parse(await ferry('ls', '--json')) as CliNote[];
}

async function shot(s: WebDriverSession, name: string): Promise<string> {
  const path = join(artifacts, `${name}.png`);
  await s.screenshot(path);
  log(`screenshot ${path}`);
  return path;
}

async function badge(s: WebDriverSession): Promise<string> {
  return (await s.attribute('[data-testid="sync-indicator"]', 'data-state')) ?? '';
}

async function waitBadge(s: WebDriverSession, state: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`sync badge "${state}"`, async () => (await badge(s)) === state, timeoutMs, 250);
}

async function listTitles(s: WebDriverSession): Promise<string[]> {
  return s.execute<string[]>(
    "return [...document.querySelectorAll('[data-testid=note-item-title]')].map((e) => e.textContent)",
  );
}

async function waitSaved(s: WebDriverSession): Promise<void> {
  await waitUntil(
    'the editor to save',
    async () => (await s.attribute('[data-testid="save-state"]', 'data-state')) === 'saved',
    10_000,
    100,
  );
}

/** Makes a note through the UI: "New" (or Ctrl+N), then type title and content. */
async function createNote(
  s: WebDriverSession,
  title: string,
  content: string,
  viaShortcut = false,
): Promise<string> {
  const before = await s.execute<string | null>(
    "return document.querySelector('[data-testid=editor]')?.dataset.id ?? null",
  );
  if (viaShortcut) {
    await s.click('.brand');
    await s.keys(`${CTRL}n`);
  } else {
    await s.click('[data-testid="new-note"]');
  }
  await waitUntil('the new note to open', async () => {
    const id = await s.execute<string | null>(
      "return document.querySelector('[data-testid=editor]')?.dataset.id ?? null",
    );
    return id !== null && id !== before;
  });
  await s.type('[data-testid="editor-title"]', title);
  await s.type('[data-testid="editor-content"]', content);
  await waitSaved(s);
  return (await s.attribute('[data-testid="editor"]', 'data-id'))!;
}

async function openNote(s: WebDriverSession, id: string): Promise<void> {
  await s.click(`[data-testid="note-item"][data-id="${id}"]`);
  await waitUntil(
    'the note to open',
    async () => (await s.attribute('[data-testid="editor"]', 'data-id')) === id,
  );
}

async function editorContent(s: WebDriverSession): Promise<string> {
  return s.execute<string>('return document.querySelector("[data-testid=editor-content]").value');
}

/**
 * Replaces the open note's text by typing, as a person would (select all, delete, type). Two
 * calls: WebKitWebDriver keeps Ctrl down after NULL_KEY until the call ends, and Ctrl+N in the
 * text would make new notes.
 */
async function retype(s: WebDriverSession, text: string): Promise<void> {
  await s.type('[data-testid="editor-content"]', `${CTRL}a${NULL_KEY}${BACKSPACE}`);
  await s.type('[data-testid="editor-content"]', text.replaceAll('\n', ENTER));
  await waitSaved(s);
  const typed = await editorContent(s);
  check(typed === text, `typed ${JSON.stringify(text)}, the editor has ${JSON.stringify(typed)}`);
}

/**
 * Waits until the note is in the list and `ok(item)` holds. A note changed on another device
 * can sort above the rows shown and be announced as "N new notes" instead (the list keeps still
 * during a sync): that button is clicked, as a person would.
 */
async function waitListed(
  s: WebDriverSession,
  id: string,
  what: string,
  ok: (item: string) => Promise<boolean> = () => Promise.resolve(true),
  timeoutMs = 30_000,
): Promise<void> {
  const item = `[data-testid="note-item"][data-id="${id}"]`;
  await waitUntil(
    what,
    async () => {
      if ((await s.find(item)) !== null) return ok(item);
      if ((await s.find('[data-testid="new-above"]')) !== null)
        await s.click('[data-testid="new-above"]');
      return false;
    },
    timeoutMs,
    200,
  );
}

async function noteSynced(s: WebDriverSession, id: string): Promise<void> {
  await waitListed(
    s,
    id,
    'the note to sync',
    async (item) => (await s.attribute(item, 'data-synced')) === '1',
  );
}

/** Copies a screenshot next to the docs screenshot when the docs are being updated. */
async function toDocs(path: string, name: string): Promise<void> {
  const docs = process.env.FERRY_E2E_DOCS_SCREENSHOT;
  if (!docs) return;
  await copyFile(path, join(dirname(docs), name));
  log(`copied to ${join(dirname(docs), name)}`);
}

async function main(): Promise<void> {
  await mkdir(artifacts, { recursive: true });
  await rm(dataDir, { recursive: true, force: true });
  // The web app, served by the same server for the web-device step; built while the app starts.
  webRoot = buildWebApp();
  webRoot.catch(() => undefined);

  begin('start WebKitWebDriver and the app (server stopped)');
  check(!(await httpOk(`${server}/healthz`)), `nothing may listen on ${server} yet`);
  const driver = startProcess('webdriver', 'WebKitWebDriver', [`--port=${driverPort}`], {
    ...process.env,
    TAURI_WEBVIEW_AUTOMATION: 'true',
    FERRY_DESKTOP_DATA_DIR: dataDir,
    FERRY_DESKTOP_SELF_TEST: '1',
    FERRY_SERVER_URL: server,
  });
  await waitUntil('WebKitWebDriver', () => httpOk(`http://127.0.0.1:${driverPort}/status`), 20_000);
  const s = await WebDriverSession.start(`http://127.0.0.1:${driverPort}`, app);
  try {
    await s.resize(1000, 680);
    await waitUntil(
      'the app to start',
      async () => (await s.find('[data-testid="app"]')) !== null,
      30_000,
    ).catch(async (e: unknown) => {
      const stage = await s
        .execute<string | null>('return window.__ferryBootStage ?? null')
        .catch(() => null);
      throw new Error(`${e instanceof Error ? e.message : String(e)}; boot stage: ${stage}`);
    });
    await waitUntil(
      'the list to load',
      async () => (await s.attribute('[data-testid="note-list"]', 'data-loading')) === 'false',
    );
    check(
      (await badge(s)) === 'signed-out',
      `a fresh app is signed out (badge: ${await badge(s)})`,
    );

    begin('shared driver and store suites inside the app (webview → IPC → Rust → SQLite)');
    const report = await s.executeAsync<{
      ok: boolean;
      results: { name: string; ok: boolean; error?: string; detail?: string }[];
    }>(
      'const done = arguments[arguments.length - 1]; window.__ferrySelfTest().then(done, (e) => done({ ok: false, results: [{ name: "self-test", ok: false, error: String(e) }] }));',
    );
    for (const r of report.results)
      log(
        `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}${r.error ? `\n${r.error}` : ''}`,
      );
    check(
      report.ok && report.results.length >= 10,
      `the in-app driver suites pass (${report.results.filter((r) => r.ok).length}/${report.results.length})`,
    );

    begin('write and edit notes offline (no server)');
    const groceries = await createNote(s, 'Groceries', 'milk, bread');
    const lisbon = await createNote(
      s,
      'Trip to Lisbon',
      `Book the tram 28 tour.${ENTER}Pastéis de nata at Belém.`,
      true,
    );
    const ideas = await createNote(s, 'Ideas', 'A notes app that never loses a word.');
    const scratch = await createNote(s, 'Scratch', 'to be deleted');
    // Edit the first note again: the list shows the newest first.
    await openNote(s, groceries);
    await s.type('[data-testid="editor-content"]', ', eggs');
    await waitSaved(s);
    await waitUntil(
      'the edited note to come first',
      async () => (await listTitles(s))[0] === 'Groceries',
    );
    check(
      (await s.text('[data-testid="sync-indicator"]')).includes('pending'),
      'the badge counts pending changes',
    );

    begin('search, trash and restore');
    await s.type('[data-testid="search"]', 'lisbon');
    await waitUntil(
      'search to narrow the list',
      async () => (await listTitles(s)).join() === 'Trip to Lisbon',
    );
    // Select all and delete, as a person would (fires input events, unlike WebDriver's clear).
    await s.type('[data-testid="search"]', `${CTRL}a${NULL_KEY}${BACKSPACE}`);
    await s.click('.brand');
    await s.keys(`${CTRL}k`);
    check(
      (await s.execute<string>('return document.activeElement?.dataset.testid ?? ""')) === 'search',
      'Ctrl+K focuses the search',
    );
    await waitUntil('the full list', async () => (await listTitles(s)).length === 4);
    await openNote(s, scratch);
    await s.click('[data-testid="delete-note"]');
    await waitUntil(
      'the deleted note to leave the list',
      async () => !(await listTitles(s)).includes('Scratch'),
    );
    await s.click('[data-testid="view-trash"]');
    await waitUntil('the trash to show it', async () => (await listTitles(s)).join() === 'Scratch');
    await openNote(s, scratch);
    await s.click('[data-testid="restore-note"]');
    // Restoring switches to the notes list and opens the note. Wait for that whole list: the
    // trash list also shows "Scratch", and a click made while the lists swap lands on whatever
    // row takes its place (the first, Groceries).
    await waitUntil(
      'the restored note to return',
      async () => (await listTitles(s)).length === 4 && (await listTitles(s)).includes('Scratch'),
    );
    await openNote(s, scratch);
    await s.click('[data-testid="delete-note"]');
    await waitUntil(
      'the note deleted again',
      async () => !(await listTitles(s)).includes('Scratch'),
    );

    await openNote(s, lisbon);
    await shot(s, '01-list-and-editor-offline');
    await s.resize(420, 700);
    await shot(s, '02-editor-small-window');
    await s.click('.back');
    await shot(s, '03-list-small-window');
    await s.resize(1000, 680);

    begin('start the server; sign up in the app; wait for sync');
    await startServer();
    await s.click('[data-testid="account-open"]');
    check(
      (await s.execute<string>(
        'return document.querySelector("[data-testid=account-server]").value',
      )) === server,
      'the server URL is preset',
    );
    await s.type('[data-testid="account-email"]', email);
    await s.type('[data-testid="account-password"]', password);
    await s.click('[data-testid="account-signup"]');
    await s.waitFor('[data-testid="account-identity"]', 20_000);
    await s.click('[data-testid="account-close"]');
    await waitBadge(s, 'synced', 30_000);
    await openNote(s, ideas);
    await shot(s, '04-synced');

    begin('the token stays outside the page');
    const session = await stat(join(dataDir, 'session.json'));
    check(
      (session.mode & 0o777) === 0o600,
      `the token file is 0600 (got ${(session.mode & 0o777).toString(8)})`,
    );
    const seen = await s.executeAsync<string | null>(
      "const d = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke('token_get').then(d, () => d(null));",
    );
    check(
      seen === 'ferry-desktop-held-token',
      `the page only sees the placeholder (got ${String(seen)})`,
    );
    const storage = await s.execute<string>(
      'return JSON.stringify(Object.assign({}, localStorage, sessionStorage))',
    );
    check(!storage.includes('token'), 'no token in web storage');

    begin('the CLI, as a second device, sees the notes');
    await ferry('login', '--server', server, '--email', email, '--device', 'the CLI');
    await ferry('sync');
    const notes = await cliNotes();
    const byTitle = new Map(notes.map((n) => [n.title, n]));
    check(
      byTitle.get('Groceries')?.content === 'milk, bread, eggs',
      `the edit made offline arrived (${JSON.stringify(byTitle.get('Groceries'))})`,
    );
    check(
      byTitle.get('Trip to Lisbon')?.content.includes('Pastéis de nata'),
      'the second note arrived',
    );
    check(byTitle.has('Ideas'), 'the third note arrived');
    check(!byTitle.has('Scratch'), 'the deleted note is not listed');
    const deleted = JSON.parse(await ferry('ls', '--json', '--deleted')) as CliNote[];
    check(
      deleted.some((n) => n.title === 'Scratch' && n.deleted_at !== null),
      'the deleted note arrived as deleted',
    );

    begin('an edit on the CLI appears in the app');
    await openNote(s, lisbon);
    await ferry('edit', lisbon, '--content', 'Edited on the CLI: tram 28 at 9:00.');
    await ferry('sync');
    // The server pokes the app's event stream (read by the Rust shell): no 30 s wait.
    await waitUntil(
      'the CLI edit in the open editor',
      async () =>
        (await s.execute<string>(
          'return document.querySelector("[data-testid=editor-content]").value',
        )) === 'Edited on the CLI: tram 28 at 9:00.',
      25_000,
    );
    await waitBadge(s, 'synced');
    await shot(s, '05-cli-edit-arrived');

    begin(
      'notebooks: made and filed in the app, seen by the CLI; filed on the CLI, seen in the app',
    );
    await s.click('[data-testid="notebook-new"]');
    await s.type('[data-testid="notebook-name"]', `Travel${ENTER}`);
    await s.waitFor('[data-testid="notebook-item"][aria-pressed="true"]');
    await s.click('[data-testid="notebook-all"]');
    await openNote(s, lisbon);
    // The editor bar's select, changed as the page would see a person change it.
    const filed = await s.execute<boolean>(
      `const sel = document.querySelector('[data-testid=note-notebook]');
       const opt = [...sel.options].find((o) => o.text === 'Travel');
       if (!opt) return false;
       sel.value = opt.value;
       sel.dispatchEvent(new Event('change', { bubbles: true }));
       return true;`,
    );
    check(filed, 'the editor offers the new notebook');
    await waitBadge(s, 'synced');
    await ferry('sync');
    const books = JSON.parse(await ferry('notebooks', '--json')) as {
      name: string;
      notes: number;
    }[];
    check(
      books.some((b) => b.name === 'Travel' && b.notes === 1),
      `the CLI sees the notebook with its note (${JSON.stringify(books)})`,
    );
    const travel = JSON.parse(await ferry('ls', '--notebook', 'Travel', '--json')) as CliNote[];
    check(
      travel.length === 1 && travel[0]?.id === lisbon,
      `the note was filed in it (${JSON.stringify(travel.map((n) => n.title))})`,
    );
    await ferry('notebooks', 'add', 'Home');
    await ferry('mv', groceries, 'Home');
    await ferry('sync');
    await waitUntil(
      "the CLI's notebook in the app",
      async () =>
        (
          await s.execute<string[]>(
            "return [...document.querySelectorAll('[data-testid=notebook-item]')].map((e) => e.textContent)",
          )
        ).some((t) => t.includes('Home')),
      25_000,
    );
    await s.execute(
      "[...document.querySelectorAll('[data-testid=notebook-item]')].find((e) => e.textContent.includes('Home')).click()",
    );
    await waitUntil(
      'the list filtered to Home',
      async () => JSON.stringify(await listTitles(s)) === JSON.stringify(['Groceries']),
      10_000,
    );
    await s.click('[data-testid="notebook-all"]');
    await waitBadge(s, 'synced');

    begin('server down again: offline badge with a pending change, then catch up');
    await stopServer();
    await openNote(s, ideas);
    await s.type('[data-testid="editor-content"]', ' Written while offline.');
    await waitSaved(s);
    await s.click('[data-testid="sync-now"]');
    // State and words read together: a retry can start between two reads (CI saw "Syncing…").
    // Each autosave is one outbox entry: typing slowed by a loaded machine can make several.
    await waitUntil(
      'the offline badge counting the pending change',
      async () => {
        const b = await badgeOf(s);
        return b.state === 'offline' && /\b[1-9][0-9]* changes? pending/.test(b.text);
      },
      20_000,
      250,
    );
    await shot(s, '06-offline');
    await startServer();
    await s.click('[data-testid="sync-now"]');
    await waitBadge(s, 'synced', 30_000);
    await ferry('sync');
    const after = await cliNotes();
    check(
      after.find((n) => n.id === ideas)?.content.endsWith('Written while offline.'),
      'the offline edit reached the other device',
    );

    begin('text merge: an offline edit in the app and a CLI edit of another line both arrive');
    const plan = 'Trip plan\nDay 1: Lisbon\nDay 2: Sintra\nDay 3: Porto';
    const trip = (await ferry('add', 'Trip plan', '--content', plan)).trim();
    await ferry('sync');
    await waitListed(s, trip, 'the CLI note in the app');
    await openNote(s, trip);
    await stopServer();
    const appLine1 = plan.replace('Day 1: Lisbon', 'Day 1: Lisbon, visit Belem');
    await retype(s, appLine1);
    await ferry(
      'edit',
      trip,
      '--content',
      plan.replace('Day 3: Porto', 'Day 3: Porto, then Guimaraes'),
    );
    await startServer();
    await ferry('sync');
    await s.click('[data-testid="sync-now"]');
    await waitUntil(
      'both edits in the app',
      async () => {
        const t = await editorContent(s);
        return t.includes('visit Belem') && t.includes('then Guimaraes');
      },
      30_000,
    );
    await waitBadge(s, 'synced');
    const merged = await editorContent(s);
    check(
      merged ===
        'Trip plan\nDay 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto, then Guimaraes',
      `the merge keeps both lines (${JSON.stringify(merged)})`,
    );
    await ferry('sync');
    check(
      (await cliNotes()).find((n) => n.id === trip)?.content === merged,
      'the CLI has the merged text',
    );
    check(
      (await s.find('[data-testid="note-conflict-marker"]')) === null,
      'edits of different lines are no conflict',
    );

    begin('an overlapping edit: the conflict marker, resolved in the app, seen by the CLI');
    await ferry('edit', trip, '--content', merged.replace('Day 2: Sintra', 'Day 2: Sintra palace'));
    await retype(s, merged.replace('Day 2: Sintra', 'Day 2: Sintra, Cabo da Roca'));
    await noteSynced(s, trip);
    await ferry('sync');
    await waitListed(
      s,
      trip,
      'the conflict marker in the list',
      async (item) => (await s.find(`${item} [data-testid="note-conflict-marker"]`)) !== null,
    );
    await s.waitFor('[data-testid="editor-conflict-banner"]');
    check(
      (await s.find(`[data-testid="text-conflict-problem"][data-id="${trip}"]`)) !== null,
      'the problems bar names the note',
    );
    await shot(s, '08-conflict-marker');
    await s.click('[data-testid="show-conflicts"]');
    await s.waitFor('[data-testid="conflict-view"]');
    const sides = `${await s.text('[data-testid="conflict-kept"]')}|${await s.text('[data-testid="conflict-other"]')}`;
    check(
      sides.includes('Cabo da Roca') && sides.includes('palace'),
      `the conflict view shows both versions (${sides})`,
    );
    const devices = [
      await s.text('[data-testid="conflict-kept-by"]'),
      await s.text('[data-testid="conflict-other-by"]'),
    ];
    check(
      devices.includes('this device') && devices.some((d) => /^the CLI \([0-9a-f]{6}\)$/.test(d)),
      `the two devices are named, the CLI by its login's device name (${devices.join(', ')})`,
    );
    await toDocs(await shot(s, '09-conflict-view'), 'conflict.png');
    await s.click('[data-testid="conflict-keep-both"]');
    await s.waitFor('[data-testid="editor"]');
    await waitUntil('"keep both" in the editor', async () => {
      const t = await editorContent(s);
      return t.includes('Cabo da Roca') && t.includes('palace');
    });
    const resolved = await editorContent(s);
    check((await s.find('[data-testid="note-conflict-marker"]')) === null, 'the marker is gone');
    await noteSynced(s, trip);
    await waitBadge(s, 'synced');
    await ferry('sync');
    const open = JSON.parse(await ferry('conflicts', '--json')) as unknown[];
    check(open.length === 0, `the CLI has no open conflict (${JSON.stringify(open)})`);
    const shown = JSON.parse(await ferry('show', trip, '--json')) as CliNote;
    check(shown.content === resolved, `the CLI shows the resolution (${JSON.stringify(shown)})`);

    begin('the history view: revisions, a diff, restore a version');
    await s.click('[data-testid="open-history"]');
    await waitUntil(
      'the revisions',
      async () =>
        (await s.execute<number>(
          'return document.querySelectorAll("[data-testid=history-item]").length',
        )) >= 4,
      20_000,
    );
    const revisions = (
      JSON.parse(await ferry('history', trip, '--json')) as {
        revisions: { version: number; clientId: string | null; deviceName?: string | null }[];
      }
    ).revisions;
    const cliDevice = revisions.find((r) => r.version === 1)?.clientId;
    const appName = `Ferry desktop on ${hostname()}`;
    check(
      revisions.some((r) => r.deviceName === appName),
      `the CLI names the app's revisions by the machine (${JSON.stringify(revisions.map((r) => r.deviceName))})`,
    );
    const firstItem = '[data-testid="history-item"][data-version="1"]';
    const label = await s.text(firstItem);
    check(
      cliDevice && label.includes(`the CLI (${cliDevice.replace(/-/g, '').slice(-6)})`),
      `the first version is the CLI's, named by its login (${label})`,
    );
    check(
      (await s.text('[data-testid="history-list"] li:first-child')).includes('this device'),
      "the newest version is this device's",
    );
    await s.click(firstItem);
    await s.waitFor('[data-testid="history-diff"]');
    const diff = await s.execute<{ removed: string; added: string }>(
      'const d = document.querySelector("[data-testid=history-diff]"); return { removed: [...d.querySelectorAll("del")].map((e) => e.textContent).join(""), added: [...d.querySelectorAll("ins")].map((e) => e.textContent).join("") };',
    );
    check(
      diff.removed.includes('visit Belem') && diff.removed.includes('Cabo da Roca'),
      `the diff shows what restoring version 1 takes away (${JSON.stringify(diff)})`,
    );
    await toDocs(await shot(s, '10-history-view'), 'history.png');
    await s.click('[data-testid="history-restore"]');
    await s.waitFor('[data-testid="editor"]');
    await waitUntil('the restored text', async () => (await editorContent(s)) === plan);
    await noteSynced(s, trip);
    await ferry('sync');
    check(
      (await cliNotes()).find((n) => n.id === trip)?.content === plan,
      'the CLI has the restored version',
    );

    begin('sign out keeps the local notes and forgets the token');
    await s.click('[data-testid="account-open"]');
    await s.click('[data-testid="account-signout"]');
    await s.waitFor('[data-testid="account-signin"]');
    await s.click('[data-testid="account-close"]');
    await waitBadge(s, 'signed-out');
    check((await listTitles(s)).length === 4, 'the notes are still on this device');
    check(
      await stat(join(dataDir, 'session.json')).then(
        () => false,
        () => true,
      ),
      'the token file is gone',
    );
    const revoked = await fetch(`${server}/v1/me`, {
      headers: { authorization: 'Bearer ferry-desktop-held-token' },
    });
    check(revoked.status === 401, 'the placeholder is worthless on the server');

    begin('sign in again, back to synced');
    await s.click('[data-testid="account-open"]');
    if (
      (await s.execute<string>(
        'return document.querySelector("[data-testid=account-email]").value',
      )) === ''
    )
      await s.type('[data-testid="account-email"]', email);
    await s.type('[data-testid="account-password"]', password);
    await s.click('[data-testid="account-signin"]');
    await s.waitFor('[data-testid="account-identity"]', 20_000);
    await s.click('[data-testid="account-close"]');
    await waitBadge(s, 'synced', 30_000);

    begin("a web device: Chromium signs in, lists the app's notes; its note reaches the app");
    const web = await openWebDevice(server, email, password);
    try {
      const titles = await web.titles(4);
      check(
        titles.includes('Trip to Lisbon') && titles.includes('Groceries'),
        `the browser lists the app's notes (${JSON.stringify(titles)})`,
      );
      const fromWeb = await web.write('From the browser', 'Written in Chromium, a third device.');
      await web.screenshot(join(artifacts, '11-web-device.png'));
      // The server pokes the app's event stream: no sync click.
      await waitListed(s, fromWeb, "the browser's note in the app");
      check(web.errors.length === 0, `no console errors in the browser: ${web.errors.join('; ')}`);
    } finally {
      await web.close();
    }

    begin('screenshot for the docs');
    await openNote(s, lisbon);
    const docShot = await shot(s, '07-docs');
    if (process.env.FERRY_E2E_DOCS_SCREENSHOT) {
      await copyFile(docShot, process.env.FERRY_E2E_DOCS_SCREENSHOT);
      log(`copied to ${process.env.FERRY_E2E_DOCS_SCREENSHOT}`);
    }
    void groceries;
  } catch (e) {
    await shot(s, `failed-${step.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    throw e;
  } finally {
    await s.quit();
    await stopProcess(driver);
  }
  await largeAccountStep({ app, work, server, repo, artifacts, begin, log });
}

main().then(
  async () => {
    await Promise.all(children.map(stopProcess));
    log('PASS');
    process.exit(0);
  },
  async (e: unknown) => {
    console.log(
      `[desktop-e2e] FAILED during "${step}": ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    await Promise.all(children.map(stopProcess));
    process.exit(1);
  },
);
