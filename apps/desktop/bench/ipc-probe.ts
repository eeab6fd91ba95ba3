/**
 * What one IPC call costs the app's two processes, apart from the engine (run by hand, under
 * scripts/desktop-e2e.sh like the desktop bench):
 *
 *   FERRY_E2E_SCRIPT=apps/desktop/bench/ipc-probe.ts FERRY_E2E_RELEASE=1 FERRY_E2E_SKIP_BUILD=1 \
 *     bash scripts/desktop-e2e.sh
 *
 * It starts the app on a fresh data directory and, from the page, times (CPU of the shell and of
 * the web process, from /proc): empty calls (`app_config`); pages of 1 000 rows of ~250 bytes
 * written with `db_batch` into a plain table, each in its own transaction (`db_begin`,
 * `db_batch`, `db_commit`, as the engine's apply does); and `http_request` for a pulled page's
 * worth of JSON (1 000 rows of ~200 characters of words, ~300 KiB) from a local server that
 * answers gzip level 1 when asked, as Ferry's server does; the page asks for gzip as the engine
 * does (`accept-encoding: gzip`). PROBE_PERF=<dir> also records each part with `perf`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchApp } from '../e2e/app-driver.ts';
import type { WebDriverSession } from '../e2e/webdriver.ts';

const work = process.env.FERRY_E2E_WORK ?? '/tmp';
const app = process.env.FERRY_E2E_APP ?? '';

/** A page of 1 000 rows of ~200 characters of words, as JSON (~300 KiB). */
function pageJson(): string {
  const words =
    'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(
      ' ',
    );
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const rows = [];
  for (let i = 0; i < 1000; i++) {
    let text = '';
    while (text.length < 200) text += `${words[next() % words.length]} `;
    rows.push([
      `0192aaaa-bbbb-7ccc-8ddd-${String(i).padStart(12, '0')}`,
      `note ${i}`,
      text,
      '2026-11-26T18:00:00.000Z',
      '2026-11-26T18:00:00.000Z',
      null,
      i + 1,
    ]);
  }
  return JSON.stringify({ changes: rows });
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function children(pid: number): { pid: number; name: string }[] {
  const out: { pid: number; name: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid)
        out.push({
          pid: Number(d),
          name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        });
    } catch {
      // gone
    }
  }
  return out;
}

/** Runs `script` (async, in the page) and prints CPU per `units` for the shell and the page. */
async function measure(
  s: WebDriverSession,
  shell: number,
  web: number,
  label: string,
  units: number,
  script: string,
): Promise<void> {
  // PROBE_PERF=<dir>: each measurement also records both processes with `perf` (for profiling).
  const perfDir = process.env.PROBE_PERF;
  const perf = perfDir
    ? spawn(
        'perf',
        [
          'record',
          '-F',
          '999',
          '-p',
          `${shell},${web}`,
          '-o',
          join(perfDir, `${label.split(' ')[0]}.data`),
        ],
        { stdio: 'ignore' },
      )
    : null;
  if (perf) await new Promise((r) => setTimeout(r, 500));
  const a0 = cpuSeconds(shell);
  const w0 = cpuSeconds(web);
  const t0 = performance.now();
  const r = await s.executeAsync<string>(script);
  const ms = performance.now() - t0;
  const a = ((cpuSeconds(shell) - a0) / units) * 1e6;
  const w = ((cpuSeconds(web) - w0) / units) * 1e6;
  if (perf) {
    const exited = new Promise((r) => perf.once('exit', r));
    perf.kill('SIGINT');
    await exited;
  }
  console.log(
    `${label}: ${((ms / units) * 1000).toFixed(1)} µs wall, shell ${a.toFixed(1)} µs, page ${w.toFixed(1)} µs per unit (${r})`,
  );
}

const ENCODE = `
  const utf8 = new TextEncoder();
  function encode(tx, sql, rows) {
    let buf = new Uint8Array(1 << 20), view = new DataView(buf.buffer), pos = 0;
    const text = (s) => { const { written } = utf8.encodeInto(s, buf.subarray(pos + 4)); view.setUint32(pos, written, true); pos += 4 + written; };
    buf[pos++] = 2; buf[pos++] = 1; view.setUint32(pos, 0, true); view.setUint32(pos + 4, 0, true); pos += 8;
    view.setUint32(pos, tx, true); view.setUint32(pos + 4, 0, true); pos += 8;
    text(sql); view.setUint32(pos, rows.length, true); pos += 4;
    for (const row of rows) {
      view.setUint32(pos, row.length, true); pos += 4;
      for (const v of row) {
        if (typeof v === 'string') { buf[pos++] = 3; text(v); }
        else { buf[pos++] = 1; view.setFloat64(pos, v, true); pos += 8; }
      }
    }
    return buf.slice(0, pos);
  }`;

async function main(): Promise<void> {
  const body = Buffer.from(pageJson());
  const gzipped = gzipSync(body, { level: 1 });
  const server = createServer((req, res) => {
    if (/gzip/.test(req.headers['accept-encoding'] ?? '')) {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipped);
    } else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const launched = await launchApp({ app, dataDir: join(work, 'probe-data'), serverUrl: url });
  try {
    const shellProc = children(launched.driver.pid!).find((p) => p.name.startsWith('ferry'));
    if (!shellProc) throw new Error('no app process');
    const webProc = children(shellProc.pid).find((p) => p.name.startsWith('WebKitWeb'));
    if (!webProc) throw new Error('no web process');
    const [shell, web] = [shellProc.pid, webProc.pid];
    const s = launched.session;
    const CALLS = Number(process.env.PROBE_CALLS ?? 2000);
    if (process.env.PROBE_ONLY !== 'bodies')
      await measure(
        s,
        shell,
        web,
        'empty call (app_config)',
        CALLS,
        `const done = arguments[0]; const inv = window.__TAURI_INTERNALS__.invoke;
       (async () => { for (let i = 0; i < ${CALLS}; i++) await inv('app_config'); return 'ok'; })().then(done, (e) => done(String(e)));`,
      );
    if (process.env.PROBE_ONLY !== 'bodies')
      await measure(
        s,
        shell,
        web,
        'db_begin + db_rollback (two calls)',
        CALLS / 2,
        `const done = arguments[0]; const inv = window.__TAURI_INTERNALS__.invoke;
       (async () => { for (let i = 0; i < ${CALLS / 2}; i++) { const tx = await inv('db_begin', {}); await inv('db_rollback', { tx }); } return 'ok'; })().then(done, (e) => done(String(e)));`,
      );
    if (process.env.PROBE_ONLY === 'calls') return;
    const PAGES = Number(process.env.PROBE_PAGES ?? 40);
    await measure(
      s,
      shell,
      web,
      'db_batch row (pages of 1 000, one transaction each)',
      PAGES * 1000,
      `const done = arguments[0]; const inv = window.__TAURI_INTERNALS__.invoke; ${ENCODE}
       (async () => {
         let tx = await inv('db_begin', {});
         await inv('db_exec', { tx, sql: 'CREATE TABLE IF NOT EXISTS probe (id TEXT PRIMARY KEY, title TEXT, body TEXT, n INTEGER)' });
         await inv('db_commit', { tx });
         const text = 'lorem ipsum dolor sit amet '.repeat(8);
         for (let p = 0; p < ${PAGES}; p++) {
           const rows = [];
           for (let i = 0; i < 1000; i++) rows.push(['0192aaaa-bbbb-7ccc-8ddd-' + String(p * 1000 + i).padStart(12, '0'), 'note ' + i, text + i, p * 1000 + i]);
           tx = await inv('db_begin', {});
           await inv('db_batch', encode(tx, 'INSERT INTO probe (id, title, body, n) VALUES (?, ?, ?, ?)', rows));
           await inv('db_commit', { tx });
         }
         return 'ok';
       })().then(done, (e) => done(String(e)));`,
    );
    const GETS = Number(process.env.PROBE_GETS ?? 60);
    await measure(
      s,
      shell,
      web,
      `http_request of ${(body.length / 1024).toFixed(0)} KiB (${(gzipped.length / 1024).toFixed(0)} KiB gzipped)`,
      GETS,
      `const done = arguments[0]; const inv = window.__TAURI_INTERNALS__.invoke;
       (async () => { let n = 0; for (let i = 0; i < ${GETS}; i++) { const r = await inv('http_request', { request: { method: 'GET', url: '${url}', headers: { 'accept-encoding': 'gzip' }, body: null } }); n += r.byteLength; } return 'raw bytes received ' + n; })().then(done, (e) => done(String(e)));`,
    );
  } finally {
    await launched.close();
    server.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.log(`ipc probe FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
