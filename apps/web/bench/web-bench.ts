/**
 * The web app's benchmark (issue 10), run by hand: `npm run bench:web` (BENCH_NOTES, default
 * 100 000; BENCH_CREATES, default 200). The real server serves apps/web/dist (built first when
 * stale) on a throwaway PostgreSQL database (DATABASE_URL); Debian's Chromium runs the app.
 *
 * 1. Local create: `notes.create` on the tab's engine, timed in the page from the call to its
 *    answer (the local commit), sent over the tabs' BroadcastChannel the way a follower tab does
 *    (`src/tabs/leader.ts`): the channel's hop is included.
 * Each part runs in Chromium on a new profile on disk (see `inProfile`).
 * 2. First sync: another device pushes BENCH_NOTES notes over HTTP; a fresh profile signs in
 *    through the account panel; notes/s from the click on Sign in until the engine reports idle
 *    with every note stored; the longest main-thread task (PerformanceObserver 'longtask') and
 *    the CPU seconds of the browser's processes and of this process (the server) meanwhile.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferrySchema } from '@ferry/protocol';
import { createServer } from '@ferry/server';
import { createTestDatabase } from '@ferry/server/testing';
import type { CDPSession, Page } from 'playwright-core';
import { seedAccount } from '../../desktop/e2e/seed-account.ts';
import { PASSWORD, authenticate, newEmail, openApp } from '../test/support/app-page.ts';
import { launchPersistent } from '../test/support/web-build.ts';
import { descendantsCpuSeconds } from './proc.ts';

const NOTES = Number(process.env.BENCH_NOTES ?? 100_000);
const CREATES = Number(process.env.BENCH_CREATES ?? 200);
/** `creates` or `sync` runs that part alone; both by default. */
const PART = process.env.BENCH_PART ?? 'both';
/** A directory: the page's main thread is profiled (CDP Profiler) in each part, written there. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * BENCH_TRACE=1: the Chromium trace of `during` (devtools.timeline), summed by event name on the
 * page's main thread and its database worker: what the profiler shows only as "(program)".
 */
async function traced<T>(page: Page, during: () => Promise<T>): Promise<T> {
  if (process.env.BENCH_TRACE !== '1') return during();
  const cdp = await page.context().newCDPSession(page);
  const events: {
    name: string;
    ph: string;
    dur?: number;
    tid: number;
    args?: { name?: string };
  }[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as typeof events)));
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,v8,disabled-by-default-devtools.timeline',
    transferMode: 'ReportEvents',
  });
  const out = await during();
  await cdp.send('Tracing.end');
  await done;
  const threads = new Map<number, string>();
  for (const e of events)
    if (e.name === 'thread_name' && e.args?.name) threads.set(e.tid, e.args.name);
  const sums = new Map<string, { n: number; us: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const thread = threads.get(e.tid) ?? String(e.tid);
    if (!/CrRendererMain|DedicatedWorker/.test(thread)) continue;
    const key = `${thread} ${e.name}`;
    const s = sums.get(key) ?? { n: 0, us: 0 };
    s.n++;
    s.us += e.dur;
    sums.set(key, s);
  }
  for (const [k, v] of [...sums].sort((a, b) => b[1].us - a[1].us).slice(0, 30))
    console.log(`  ${(v.us / 1000).toFixed(1).padStart(8)} ms ${String(v.n).padStart(6)}  ${k}`);
  return out;
}

/** Times `count` creates through the engine, in the page; durations in ms. */
function timeCreates(page: Page, count: number): Promise<number[]> {
  return page.evaluate(async (n) => {
    const channel = new BroadcastChannel('ferry-tabs');
    const waiting = new Map<string, () => void>();
    channel.onmessage = (e: MessageEvent<{ t: string; id: string }>) => {
      if (e.data.t === 'reply') waiting.get(e.data.id)?.();
    };
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = `bench:${i}`;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        waiting.set(id, resolve);
        const op = { kind: 'table', table: 'notes', name: 'create' };
        channel.postMessage({ t: 'call', id, op, args: [{ title: `Bench ${i}`, content: 'x' }] });
      });
      times.push(performance.now() - started);
    }
    channel.close();
    return times;
  }, count);
}

/** In the page: records long tasks, and resolves once the engine is idle with `n` notes. */
async function watchFirstSync(page: Page, n: number): Promise<void> {
  await page.evaluate((want) => {
    const w = window as unknown as Record<string, unknown>;
    w.benchLongest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        w.benchLongest = Math.max(w.benchLongest as number, e.duration);
    }).observe({ type: 'longtask', buffered: false });
    const channel = new BroadcastChannel('ferry-tabs');
    let asked = 0;
    w.benchSynced = new Promise<number>((resolve) => {
      channel.onmessage = (e: MessageEvent) => {
        const m = e.data as { t: string; id?: string; value?: unknown; event?: unknown };
        const ev = m.event as { type: string; status?: { state: string } } | undefined;
        if (m.t === 'event' && ev?.type === 'status' && ev.status?.state === 'idle') {
          const op = { kind: 'table', table: 'notes', name: 'count' };
          channel.postMessage({ t: 'call', id: `count:${++asked}`, op, args: [] });
        }
        if (m.t === 'reply' && m.id?.startsWith('count:') && (m.value as number) >= want)
          resolve(performance.now());
      };
    });
  }, n);
}

/** Seconds the page's main thread spends in tasks from now on (CDP Performance.getMetrics). */
async function mainThreadClock(page: Page): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Sends CDP commands to a target (the database worker) through the page's session. */
type Send = (method: string, params?: object) => Promise<unknown>;

/**
 * A way to send CDP commands to the page's database worker: the page's session attaches to it
 * (not flattened, so the messages go through `Target.sendMessageToTarget`).
 */
async function workerSession(cdp: CDPSession): Promise<Send> {
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  const attached = new Promise<string>((resolve) => {
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') resolve(e.sessionId);
    });
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
  });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false,
  });
  const sessionId = await attached;
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
}

/** Profiles through `send` until the returned stop, which writes and prints the profile. */
async function profile(send: Send, name: string): Promise<() => Promise<void>> {
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  return async () => {
    const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile };
    mkdirSync(PROFILE_DIR!, { recursive: true });
    writeFileSync(join(PROFILE_DIR!, `${name}.cpuprofile`), JSON.stringify(profile));
    printTop(profile, name);
  };
}

/**
 * Starts the CDP profiler on the page's main thread and on its database worker (BENCH_PROFILE);
 * the stop writes both and prints their tops.
 */
async function profilePage(page: Page, name: string): Promise<() => Promise<void>> {
  if (PROFILE_DIR === undefined) return () => Promise.resolve();
  const cdp = await page.context().newCDPSession(page);
  const toPage: Send = (method, params) => cdp.send(method as 'Profiler.start', params);
  const stops = [
    await profile(toPage, `${name}-page`),
    await profile(await workerSession(cdp), `${name}-worker`),
  ];
  return async () => {
    for (const stop of stops) await stop();
  };
}

/** The functions with the most self time in `profile`, with their share. */
function printTop(profile: CpuProfile, name: string): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const file = n.callFrame.url.split('/').pop() ?? '';
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`profile ${name}: ${(total / 1000).toFixed(0)} ms sampled; top self time:`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(
      `  ${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`,
    );
}

async function firstSync(page: Page, url: string): Promise<void> {
  const email = newEmail('bench');
  const seedS = await seedAccount(url, email, PASSWORD, NOTES);
  console.log(`seeded ${NOTES} notes over HTTP in ${seedS.toFixed(1)} s`);
  await openApp(page, url);
  await watchFirstSync(page, NOTES);
  const mainThreadSeconds = await mainThreadClock(page);
  const main0 = await mainThreadSeconds();
  const cpu0 = { browser: descendantsCpuSeconds(process.pid), server: cpuNow() };
  const started = await page.evaluate(() => performance.now());
  const profiled = await profilePage(page, 'first-sync');
  await authenticate(page, 'in', email);
  const ended = await page.evaluate(
    () => (window as unknown as { benchSynced: Promise<number> }).benchSynced,
  );
  await profiled();
  const browserCpu = descendantsCpuSeconds(process.pid) - cpu0.browser;
  const serverCpu = cpuNow() - cpu0.server;
  const mainThread = (await mainThreadSeconds()) - main0;
  const longest = await page.evaluate(
    () => (window as unknown as { benchLongest: number }).benchLongest,
  );
  const s = (ended - started) / 1000;
  const rate = NOTES / s;
  console.log(
    `first sync of ${NOTES} notes: ${s.toFixed(2)} s, ${Math.round(rate)} notes/s ` +
      `(target >= 10000: ${rate >= 10_000 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `longest main-thread task: ${longest.toFixed(0)} ms (0: none over 50 ms; ` +
      `target none over 100 ms: ${longest <= 100 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `CPU: browser processes ${browserCpu.toFixed(1)} s (the page's main thread busy ` +
      `${mainThread.toFixed(1)} s), server process ${serverCpu.toFixed(1)} s`,
  );
}

/**
 * Times CREATES creates; prints p50/p99 and the CPU per create of the browser's processes and of
 * the page's main thread (less at the mercy of the machine's load than the wall time is).
 */
async function reportCreates(page: Page, when: string): Promise<void> {
  const mainThreadSeconds = await mainThreadClock(page);
  const main0 = await mainThreadSeconds();
  const browser0 = descendantsCpuSeconds(process.pid);
  const profiled = await profilePage(page, `creates-${when.replace(' ', '-')}`);
  const times = (await traced(page, () => timeCreates(page, CREATES))).sort((a, b) => a - b);
  await profiled();
  const perCreate = (s: number): string => `${((s * 1e6) / CREATES).toFixed(0)} us`;
  const browserCpu = perCreate(descendantsCpuSeconds(process.pid) - browser0);
  const mainThread = perCreate((await mainThreadSeconds()) - main0);
  const p99 = pct(times, 99);
  console.log(
    `local create ${when} (engine notes.create over the tab channel), ${CREATES} creates: ` +
      `p50 ${pct(times, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms ` +
      `(target p99 < 10 ms: ${p99 < 10 ? 'met' : 'MISSED'}); CPU per create: browser ` +
      `processes ${browserCpu}, the page's main thread ${mainThread}`,
  );
}

/** Creates signed out (the commit alone), then signed in (each write also starts a sync). */
async function createBench(page: Page, url: string): Promise<void> {
  await openApp(page, url);
  await reportCreates(page, 'signed out');
  await authenticate(page, 'up', newEmail('bench-create'));
  await reportCreates(page, 'signed in');
}

/**
 * Runs `part` in a page of Chromium on a new, empty profile on disk, as a person's browser is.
 * Not `browser.newContext()`: that context is off the record, its OPFS lives in the browser
 * process and every write of the database worker is a round trip to it (33–46 % of the worker's
 * time in a first sync, against 2–3 % on a profile on disk).
 */
async function inProfile(part: (page: Page) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-web-bench-'));
  const context = await launchPersistent(dir);
  try {
    await part(await context.newPage());
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`load at start: ${load()}`);
  // BENCH_WEB_DIST: serve that build as it is (to compare two builds run after run).
  const webRoot = process.env.BENCH_WEB_DIST ?? `${ROOT}/apps/web/dist`;
  if (process.env.BENCH_WEB_DIST === undefined) {
    const built = spawnSync('node', ['scripts/web-dist.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building apps/web/dist failed');
  }
  const db = await createTestDatabase();
  const server = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: db.url,
    webRoot,
  });
  try {
    if (PART !== 'sync') await inProfile((page) => createBench(page, server.url));
    if (PART !== 'creates') await inProfile((page) => firstSync(page, server.url));
  } finally {
    await server.close();
    await db.drop();
  }
  console.log(`load at end: ${load()}`);
}

await main();
