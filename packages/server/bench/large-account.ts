/**
 * The first sync of a large account (issue 7, item 2): an account holding BENCH_LARGE_BIG notes of
 * 1 MiB (default 200) among BENCH_LARGE_SMALL notes of ~1 KB (default 100 000), downloaded by a new
 * device from cursor "0" with pullLimit 1000, one request at a time as the client does
 * (BENCH_LARGE_DEVICES devices at once, default 1: the server's memory should grow by about one
 * page per device).
 * BENCH_LARGE_LAYOUT says where the large notes sit in the account's change order: `clustered`
 * (default: all of them together, halfway; the pages around them are cut by bytes, not by count)
 * or `spread` (one every small/big notes).
 *
 * The server is a child process, so its memory is measured from outside: peak RSS is the kernel's
 * VmHWM of that process (/proc/<pid>/status), reset before the download (`echo 5 >
 * /proc/<pid>/clear_refs`) so it covers the download alone; a 20 ms sampler of VmRSS backs it up
 * where the reset is not allowed. CPU is read from /proc for the server and for the PostgreSQL
 * backends connected to the bench's database (other users of the machine's PostgreSQL excluded).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { HlcClock, hlcNode, uuidv7, type SyncResponse } from '@ferry/protocol';
import { LoadClient } from './http-load.ts';
import { cpuSeconds } from './proc.ts';
import { syncBody } from './wire.ts';

const MiB = 1024 * 1024;

/** The sizes, from the environment. */
export interface LargeAccountSizes {
  readonly big: number;
  readonly small: number;
  readonly pullLimit: number;
  readonly layout: 'clustered' | 'spread';
  /** New devices downloading the account at once. */
  readonly devices: number;
}

export function largeAccountSizes(env: NodeJS.ProcessEnv = process.env): LargeAccountSizes {
  const n = (k: string, d: number): number => (env[k] ? Number(env[k]) : d);
  return {
    big: n('BENCH_LARGE_BIG', 200),
    small: n('BENCH_LARGE_SMALL', 100_000),
    pullLimit: n('BENCH_LARGE_PULL_LIMIT', 1000),
    layout: env.BENCH_LARGE_LAYOUT === 'spread' ? 'spread' : 'clustered',
    devices: n('BENCH_LARGE_DEVICES', 1),
  };
}

/** Pids of the PostgreSQL backends connected to `database` (their title names it). */
function backendsOf(database: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU of `database`'s backends, kept per pid so a backend seen once is counted after it ends. */
class BackendCpu {
  private readonly last = new Map<number, number>();
  constructor(private readonly database: string) {}
  /** Reads every backend; returns the sum of their CPU seconds so far. */
  sample(): number {
    for (const pid of backendsOf(this.database)) {
      const s = cpuSeconds(pid);
      if (!Number.isNaN(s)) this.last.set(pid, s);
    }
    let total = 0;
    for (const s of this.last.values()) total += s;
    return total;
  }
}

function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) : NaN;
}

/** Peak RSS of a process over a span: VmHWM after a reset, and a sampled VmRSS. */
class PeakRss {
  private sampled = 0;
  private readonly timer: NodeJS.Timeout;
  readonly resetWorked: boolean;
  constructor(private readonly pid: number) {
    let ok = true;
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
    this.resetWorked = ok;
    this.timer = setInterval(() => {
      this.sampled = Math.max(this.sampled, statusKb(pid, 'VmRSS'));
    }, 20);
  }
  /** MiB: the kernel's high-water mark when it could be reset, else the sampled maximum. */
  stop(): { hwm: number; sampled: number } {
    clearInterval(this.timer);
    this.sampled = Math.max(this.sampled, statusKb(this.pid, 'VmRSS'));
    return {
      hwm: this.resetWorked ? statusKb(this.pid, 'VmHWM') / 1024 : NaN,
      sampled: this.sampled / 1024,
    };
  }
}

/** Pushes the account in batches of at most 500 notes and ~6 MiB, in `sizes.layout`. */
async function seed(http: LoadClient, token: string, sizes: LargeAccountSizes): Promise<void> {
  const clientId = randomUUID();
  const clock = new HlcClock(hlcNode(clientId));
  const small = 'lorem ipsum dolor sit amet '.repeat(40).slice(0, 1000);
  const bigText = (i: number): string =>
    `big note ${i} `.padEnd(MiB, 'consectetur adipiscing elit, ');
  const every =
    sizes.layout === 'spread' && sizes.big > 0
      ? Math.max(1, Math.floor(sizes.small / sizes.big))
      : Infinity;
  const half = Math.floor(sizes.small / 2);
  let seq = 0;
  let batch: unknown[] = [];
  let batchBytes = 0;
  let cursor = '0';
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    // pullLimit 1: the answer would otherwise carry the rows just written back.
    const r = await http.post('/v1/sync', syncBody(clientId, cursor, batch, 1), token);
    if (r.status !== 200) throw new Error(`seeding failed: ${r.status} ${r.body.slice(0, 200)}`);
    cursor = (JSON.parse(r.body) as SyncResponse).cursor;
    batch = [];
    batchBytes = 0;
  };
  const add = async (title: string, content: string): Promise<void> => {
    const now = new Date().toISOString();
    // Under the 8 MiB body limit and the 500-mutation limit.
    if (batch.length === 500 || batchBytes + content.length > 6 * MiB) await flush();
    batch.push({
      seq: ++seq,
      table: 'notes',
      id: uuidv7(),
      op: 'upsert',
      fields: { title, content, created_at: now, updated_at: now },
      hlc: clock.now(),
      baseVersion: null,
    });
    batchBytes += content.length;
  };
  let bigDone = 0;
  for (let i = 0; i < sizes.small; i++) {
    if (sizes.layout === 'clustered' && i === half)
      while (bigDone < sizes.big) await add(`big ${bigDone}`, bigText(bigDone++));
    await add(`note ${i}`, small);
    if ((i + 1) % every === 0 && bigDone < sizes.big)
      await add(`big ${bigDone}`, bigText(bigDone++));
  }
  while (bigDone < sizes.big) await add(`big ${bigDone}`, bigText(bigDone++));
  await flush();
}

/** What the download measured. */
export interface FirstSyncResult {
  readonly notes: number;
  readonly seconds: number;
  readonly mib: number;
  readonly pages: number;
  readonly largestPageMiB: number;
  readonly peakRssMiB: { hwm: number; sampled: number };
  readonly rssBeforeMiB: number;
  readonly serverCpu: number;
  readonly postgresCpu: number;
  readonly seedSeconds: number;
}

/**
 * Seeds a new user on the server at `url` (process `pid`, database `database`) and measures a new
 * device's first sync of it.
 */
export async function firstSyncOfLargeAccount(
  url: string,
  pid: number,
  database: string,
  token: string,
  sizes: LargeAccountSizes,
): Promise<FirstSyncResult> {
  const http = new LoadClient(url, 1);
  const seedStart = performance.now();
  await seed(http, token, sizes);
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const pg = new BackendCpu(database);
  const rssBeforeMiB = statusKb(pid, 'VmRSS') / 1024;
  const peak = new PeakRss(pid);
  const node0 = cpuSeconds(pid);
  const pg0 = pg.sample();
  const start = performance.now();
  let notes = 0;
  let bytes = 0;
  let pages = 0;
  let largest = 0;
  const devices = new LoadClient(url, sizes.devices);
  // Each device pulls the whole account, one page at a time.
  const download = async (): Promise<void> => {
    const clientId = randomUUID();
    let cursor = '0';
    for (;;) {
      const r = await devices.post(
        '/v1/sync',
        syncBody(clientId, cursor, [], sizes.pullLimit),
        token,
      );
      if (r.status !== 200) throw new Error(`pull failed: ${r.status} ${r.body.slice(0, 200)}`);
      const size = Buffer.byteLength(r.body);
      const page = JSON.parse(r.body) as SyncResponse;
      pages++;
      bytes += size;
      largest = Math.max(largest, size);
      notes += page.changes.length;
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
  };
  await Promise.all(Array.from({ length: sizes.devices }, download));
  devices.close();
  const seconds = (performance.now() - start) / 1000;
  const result: FirstSyncResult = {
    notes,
    seconds,
    mib: bytes / MiB,
    pages,
    largestPageMiB: largest / MiB,
    peakRssMiB: peak.stop(),
    rssBeforeMiB,
    serverCpu: cpuSeconds(pid) - node0,
    postgresCpu: pg.sample() - pg0,
    seedSeconds,
  };
  http.close();
  const expected = (sizes.big + sizes.small) * sizes.devices;
  if (notes !== expected) throw new Error(`pulled ${notes} notes, expected ${expected}`);
  return result;
}

/** The lines `npm run bench:server` prints for it. */
export function describeFirstSync(sizes: LargeAccountSizes, r: FirstSyncResult): string[] {
  const per1000 = (cpu: number): string => `${((cpu / r.notes) * 1e6).toFixed(1)} ms`;
  const rss = Number.isNaN(r.peakRssMiB.hwm)
    ? `${r.peakRssMiB.sampled.toFixed(0)} MiB (sampled VmRSS; VmHWM could not be reset)`
    : `${r.peakRssMiB.hwm.toFixed(0)} MiB (VmHWM; sampled VmRSS ${r.peakRssMiB.sampled.toFixed(0)} MiB)`;
  return [
    `first sync of a large account: ${sizes.big} notes of 1 MiB (${sizes.layout}) among ${sizes.small.toLocaleString('en-US')} notes of ~1 KB, pullLimit ${sizes.pullLimit}, ${sizes.devices === 1 ? 'one device' : `${sizes.devices} devices at once`}, from "0" (seeded in ${r.seedSeconds.toFixed(1)} s)`,
    `  ${r.notes.toLocaleString('en-US')} notes in ${r.seconds.toFixed(2)} s: ${Math.round(r.notes / r.seconds).toLocaleString('en-US')} notes/s, ${(r.mib / r.seconds).toFixed(1)} MiB/s (${r.mib.toFixed(0)} MiB in ${r.pages} pages, largest ${r.largestPageMiB.toFixed(2)} MiB)`,
    `    server peak RSS during the download: ${rss}; ${r.rssBeforeMiB.toFixed(0)} MiB before it`,
    `    CPU per 1 000 notes: server ${per1000(r.serverCpu)}, PostgreSQL backends ${per1000(r.postgresCpu)} (total ${r.serverCpu.toFixed(1)} s and ${r.postgresCpu.toFixed(1)} s)`,
  ];
}
