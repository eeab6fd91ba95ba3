import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './cli.ts';
import { freePort } from './private-postgres.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../server/src/main.ts', import.meta.url));

/** The real server (`packages/server/src/main.ts`) as a child process on a fixed loopback port. */
export interface ServerProcess {
  readonly url: string;
  readonly databaseUrl: string;
  /** SIGKILL: no shutdown, in-flight requests and transactions cut wherever they are. */
  kill(): Promise<void>;
  /** Starts it again on the same port and database; resolves once it listens. */
  start(): Promise<void>;
  /** Kills it if it runs. */
  close(): Promise<void>;
  /** Every line the server logged at level error or above, over all its lives. */
  readonly errors: string[];
}

/** Starts the server on `databaseUrl` on a free port. */
export async function startServerProcess(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const errors: string[] = [];
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };
  const proc: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    kill,
    start: async () => {
      child = await spawnServer(databaseUrl, port, errors);
    },
    close: kill,
    errors,
  };
  await proc.start();
  return proc;
}

/** Spawns main.ts through tsx and waits for its "listening" line; error lines go to `errors`. */
function spawnServer(databaseUrl: string, port: number, errors: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=ferry-source',
      '--import',
      'tsx',
      MAIN,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    {
      cwd: ROOT,
      env: cleanEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${out}${err}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (out.length < 100_000) out += `${line}\n`;
      if (line.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
      if (/"level":(5|6)\d/.test(line)) errors.push(line);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}${err}`));
    });
  });
}
