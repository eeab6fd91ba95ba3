/**
 * `npm run bench:abuse -w @ferry/server` (also the second half of `npm run bench:server`): the
 * latency an ordinary device sees while the abusive requests of issue 7, item 4 arrive. The
 * server runs as its own process on a fresh database; this process plays both the ordinary device
 * (push one note, pull, in a loop) and the attackers (raw sockets, which cost the sender next to
 * nothing). Prints, per phase: the ordinary sync's p50 / p99 / max, /healthz p99, and the server's
 * CPU seconds during the phase. Figures only: nothing here is asserted.
 *
 * BENCH_ABUSE_MS: how long each phase runs (default 5 000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../src/testing/index.ts';
import { signup } from '../test/helpers.ts';
import { cpuSeconds } from './proc.ts';
import {
  drip,
  nestedBody,
  paddedSyncBody,
  postRaw,
  quantile,
  whileAttacked,
  type Observed,
} from '../test/hostile.ts';

const phaseMs = Number(process.env.BENCH_ABUSE_MS ?? 5000);
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function startServer(dbUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=ferry-source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: serverDir,
      env: { ...process.env, DATABASE_URL: dbUrl, PORT: '0', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}:\n${out}`)));
  });
  return { child, url };
}

/** Runs `attack` in rounds until the phase's time is up. */
function forPhase(round: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    const end = Date.now() + phaseMs;
    while (Date.now() < end) await round();
  };
}

function report(name: string, o: Observed, cpu: number): void {
  const f = (x: number): string => x.toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(34)} syncs ${String(o.syncs.length).padStart(5)}  p50 ${f(quantile(o.syncs, 0.5))} ms  ` +
      `p99 ${f(quantile(o.syncs, 0.99))} ms  max ${f(Math.max(...o.syncs))} ms  ` +
      `/healthz p99 ${f(quantile(o.healthz, 0.99))} ms  server CPU ${cpu.toFixed(2)} s` +
      (o.failures.length > 0 ? `  failures ${o.failures.length}` : ''),
  );
}

async function main(): Promise<void> {
  console.log(
    `abuse bench: ${cpus().length} cores, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, ${phaseMs} ms per phase`,
  );
  const db = await createTestDatabase();
  const { child, url } = await startServer(db.url);
  try {
    const user = await signup(url);
    const nested = [Buffer.from(nestedBody('array')), Buffer.from(nestedBody('object'))];
    const big = paddedSyncBody('00000000-0000-7000-8000-000000000000', 9 * 1024 * 1024);
    const phases: [string, () => Promise<void>][] = [
      ['no attack', () => new Promise((r) => setTimeout(r, phaseMs))],
      [
        '4 × 8 MB nested JSON, no token',
        forPhase(() => Promise.all(nested.concat(nested).map((b) => postRaw(url, '/v1/sync', b)))),
      ],
      [
        '4 × 8 MB nested JSON, valid token',
        forPhase(() =>
          Promise.all(nested.concat(nested).map((b) => postRaw(url, '/v1/sync', b, user.token))),
        ),
      ],
      [
        '4 × 9 MiB body (over the limit)',
        forPhase(() =>
          Promise.all([1, 2, 3, 4].map(() => postRaw(url, '/v1/sync', big, user.token))),
        ),
      ],
      [
        '150 connections dripping a byte/s',
        async () => {
          const d = drip(url, { count: 150, everyMs: 1000, maxMs: phaseMs });
          await new Promise((r) => setTimeout(r, phaseMs));
          d.stop();
        },
      ],
    ];
    for (const [name, attack] of phases) {
      const before = cpuSeconds(child.pid!);
      const o = await whileAttacked(url, user.token, attack);
      report(name, o, cpuSeconds(child.pid!) - before);
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await db.drop();
  }
}

await main();
