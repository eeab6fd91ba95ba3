import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `ferry` entry point, run as users run it: a separate Node process. */
export const FERRY_BIN = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed. */
  input?: string;
  cwd?: string;
}

/** A child environment without the parent's FERRY_* variables, so tests state what they use. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('FERRY_') && !k.startsWith('VITEST') && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts `ferry args...`; the caller owns the process. */
export function spawnFerry(args: readonly string[], opts: RunOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [FERRY_BIN, ...args], {
    env: cleanEnv(opts.env),
    cwd: opts.cwd ?? process.cwd(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(opts.input ?? '');
  return child;
}

/** Runs `ferry args...` to the end and collects its output. */
export function runFerry(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const child = spawnFerry(args, opts);
  return collect(child);
}

/** Waits for a spawned process and collects its output. */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
