/**
 * One app under its own WebKitWebDriver, on its own data directory, and the few things the
 * large-account step and the desktop benchmark do with it: sign in, read the sync badge, time a
 * search in the page. (run.ts drives its app with helpers of its own.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebDriverSession, waitUntil } from './webdriver.ts';

/** A running app and the driver that started it. */
export interface RunningApp {
  readonly session: WebDriverSession;
  /** The WebKitWebDriver process (the app is its child). */
  readonly driver: ChildProcess;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function up(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the app binary `app` on `dataDir` with `serverUrl` preset, signed out, list loaded. */
export async function launchApp(opts: {
  app: string;
  dataDir: string;
  serverUrl: string;
}): Promise<RunningApp> {
  const port = await freePort();
  const driver = spawn('WebKitWebDriver', [`--port=${port}`], {
    env: {
      ...process.env,
      TAURI_WEBVIEW_AUTOMATION: 'true',
      FERRY_DESKTOP_DATA_DIR: opts.dataDir,
      FERRY_SERVER_URL: opts.serverUrl,
    },
    stdio: 'ignore',
  });
  try {
    await waitUntil('WebKitWebDriver', () => up(`http://127.0.0.1:${port}/status`), 20_000);
    const session = await WebDriverSession.start(`http://127.0.0.1:${port}`, opts.app);
    await session.resize(1000, 680);
    await waitUntil(
      'the app to load its list',
      async () =>
        (await session.attribute('[data-testid="note-list"]', 'data-loading')) === 'false',
      30_000,
    );
    return {
      session,
      driver,
      async close() {
        await session.quit();
        await stop(driver);
      },
    };
  } catch (e) {
    await stop(driver);
    throw e;
  }
}

/** The sync badge: its state (`data-state`) and its words. */
export async function badgeOf(s: WebDriverSession): Promise<{ state: string; text: string }> {
  return s.execute<{ state: string; text: string }>(
    "const b = document.querySelector('[data-testid=sync-indicator]'); return { state: b?.dataset.state ?? '', text: b?.textContent ?? '' };",
  );
}

/** "Syncing… 1 000 of 20 000 notes" → { pulled: 1000, total: 20000 }; null for other words. */
export function progressOf(text: string): { pulled: number; total: number } | null {
  const m = /([\d\u202f\s]+) of ([\d\u202f\s]+) notes/.exec(text);
  if (!m) return null;
  const n = (x: string): number => Number(x.replace(/\D/g, ''));
  return { pulled: n(m[1]!), total: n(m[2]!) };
}

/** Signs in through the account panel (the server field is preset). */
export async function signIn(s: WebDriverSession, email: string, password: string): Promise<void> {
  await s.click('[data-testid="account-open"]');
  await s.type('[data-testid="account-email"]', email);
  await s.type('[data-testid="account-password"]', password);
  await s.click('[data-testid="account-signin"]');
  await s.waitFor('[data-testid="account-identity"]', 30_000);
  await s.click('[data-testid="account-close"]');
}

/**
 * Types `term` into the search box (one input event, as a paste would) and returns the
 * milliseconds, measured in the page, until the list shows exactly the titles `expect`; -1 (and
 * the first titles shown) if it did not within 30 s.
 */
export async function timedSearch(
  s: WebDriverSession,
  term: string,
  expect: readonly string[],
): Promise<{ ms: number; shown: string[] }> {
  return s.executeAsync<{ ms: number; shown: string[] }>(
    `const [term, want, done] = arguments;
     const input = document.querySelector('[data-testid=search]');
     const t0 = performance.now();
     input.value = term;
     input.dispatchEvent(new Event('input', { bubbles: true }));
     const tick = () => {
       const got = [...document.querySelectorAll('[data-testid=note-item-title]')].map((e) => e.textContent);
       if (got.length === want.length && got.every((t, i) => t === want[i])) done({ ms: performance.now() - t0, shown: got });
       else if (performance.now() - t0 > 30000) done({ ms: -1, shown: got.slice(0, 5) });
       else setTimeout(tick, 2);
     };
     tick();`,
    term,
    expect,
  );
}
