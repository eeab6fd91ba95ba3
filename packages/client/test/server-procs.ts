import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `packages/server/src/main.ts` (what `npm start` runs) as a child process of the test. */
export interface ServerProc {
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** Resolves when `pattern` appears in the output (stdout and stderr), with its match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (graceful shutdown), SIGKILL after 30 s; resolves with the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the server with `env` (on top of this environment minus FERRY_* and VITEST_*; PORT is a
 * free port unless given) and waits until `ready` matches its output; the URL is the first
 * `listening on` after that match's start.
 */
export async function spawnServer(
  env: Record<string, string>,
  ready: RegExp = /listening on (http:\/\/[^"\s]+)/,
): Promise<ServerProc> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FERRY_') && !k.startsWith('VITEST') && v !== undefined) base[k] = v;
  }
  const child = spawn(process.execPath, ['--conditions=ferry-source', '--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...base, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: string): void => {
    out += d;
    for (const w of [...waiters]) w();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of [...waiters]) w();
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(out);
        if (m) {
          done();
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`server exited before ${pattern}:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  try {
    const m = await waitFor(ready);
    const url = /listening on (http:\/\/[^"\s]+)/.exec(out.slice(m.index))?.[1];
    if (url === undefined) throw new Error(`no URL after ${ready}:\n${out}`);
    return {
      url,
      pid: child.pid!,
      output: () => out,
      waitFor,
      exited,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(force);
        }
        return exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
