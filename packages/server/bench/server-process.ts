/** The server as its own process (`src/main.ts` under tsx), as the benches that time it start it. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A running server process: its address and pid (for its CPU), and how to stop it. */
export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** How to start it: settings over this process's environment, node flags, when it is ready. */
export interface ServerProcessOptions {
  env: Record<string, string>;
  nodeArgs?: readonly string[];
  /** Matches the output once the server listens; group 1 is its URL. */
  ready?: RegExp;
}

/** Starts the server on a free port and resolves once it listens. */
export function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--conditions=ferry-source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: serverDir,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = opts.ready ?? /listening on (http:\/\/[^\s"]+)/;
  return new Promise<ServerProcess>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m)
        resolve({
          url: m[1]!,
          pid: child.pid!,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}
